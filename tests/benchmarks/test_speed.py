"""Speed benchmark smoke test: quick mode runs end to end and writes complete JSON."""

from __future__ import annotations

import json

from annotator.cli import main

SPEED_KEYS = {"scoring_texts_per_s", "pipeline_texts_per_s", "scoring_speedup", "finetune_s_per_500",
              "scoring", "finetune", "refresh", "io", "machine"}


def test_cli_bench_speed_quick_writes_complete_results(tmp_path, capsys):
    out, png = tmp_path / "speed.json", tmp_path / "speed.png"
    code = main(["bench", "speed", "--quick", "--json", str(out), "--plot", str(png),
                 "--workdir", str(tmp_path)])
    assert code == 0
    result = json.loads(out.read_text())
    assert SPEED_KEYS <= set(result)
    scoring = result["scoring"]
    assert scoring["n_texts"] > 0 and scoring["batch_size"] == 32
    assert result["scoring_texts_per_s"] > 0 and result["pipeline_texts_per_s"] > 0
    assert result["scoring_speedup"] > 0
    # Same saved model and texts on both sides: the same predictions.
    assert scoring["top_label_agreement"] == 1.0
    assert [row["pool"] for row in result["refresh"]] == [300, 1000]
    for row in result["refresh"]:
        assert row["total_s"] > 0 and row["labels"] > 0
        assert {"head_fit_s", "scoring_s", "publish_s", "embeddings_read_s"} <= set(row)
    for row in result["io"]:
        assert row["examples_added"] == row["rows"] == row["exported_rows"] == row["labels_added"]
    assert png.stat().st_size > 1000
    assert "scoring_speedup" in capsys.readouterr().out
    assert not list(tmp_path.glob("labelloop-speed-*")), "temporary projects are removed"


def test_cli_bench_speed_rejects_unknown_part(tmp_path, capsys):
    assert main(["bench", "speed", "--quick", "--parts", "nonsense", "--workdir", str(tmp_path)]) == 1
    assert "unknown part" in capsys.readouterr().err
