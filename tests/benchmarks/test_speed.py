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
        assert row["median_s"] > 0 and row["labels"] > 0 and row["median_cpu_s"] > 0
        assert {"read_s", "head_fit_s", "scoring_s", "ranking_s", "publish_s", "rss_growth_mb"} <= set(row)
        assert 0 < row["published_rows"] <= row["pool"]
    io = result["io"]
    assert io["examples_added"] == io["rows"] == io["exported_rows"] == io["labels_added"]
    assert io["baseline_rows"] == io["rows"] == io["baseline_exported_rows"]
    assert io["baseline_import_s"] > 0 and io["baseline_export_s"] > 0
    assert io["import_cpu_s"] > 0 and io["export_cpu_s"] > 0 and io["baseline_import_cpu_s"] > 0
    assert png.stat().st_size > 1000
    assert "scoring_speedup" in capsys.readouterr().out
    assert not list(tmp_path.glob("labelloop-speed-*")), "temporary projects are removed"


def test_cli_bench_speed_pools_and_rows_choose_the_sizes(tmp_path):
    out = tmp_path / "speed.json"
    code = main(["bench", "speed", "--quick", "--parts", "refresh,io", "--pools", "500", "--rows", "200",
                 "--json", str(out), "--workdir", str(tmp_path)])
    assert code == 0
    result = json.loads(out.read_text())
    assert [row["pool"] for row in result["refresh"]] == [500]
    assert result["io"]["rows"] == 200 and result["io"]["exported_rows"] == 200
    assert "scoring" not in result


def test_cli_bench_speed_rejects_bad_sizes(tmp_path, capsys):
    assert main(["bench", "speed", "--quick", "--parts", "refresh", "--pools", "10k",
                 "--workdir", str(tmp_path)]) == 1
    assert "--pools" in capsys.readouterr().err
    assert main(["bench", "speed", "--quick", "--parts", "refresh", "--pools", "5",
                 "--workdir", str(tmp_path)]) == 1
    assert "at least 100" in capsys.readouterr().err


def test_cli_bench_speed_rejects_unknown_part(tmp_path, capsys):
    assert main(["bench", "speed", "--quick", "--parts", "nonsense", "--workdir", str(tmp_path)]) == 1
    assert "unknown part" in capsys.readouterr().err
