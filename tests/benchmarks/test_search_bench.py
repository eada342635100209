"""Search and seeding benchmark smoke tests: quick modes run and write complete JSON (never how fast)."""

from __future__ import annotations

import json

from annotator.cli import main


def test_cli_bench_search_quick_writes_complete_results(tmp_path, capsys):
    out = tmp_path / "search.json"
    assert main(["bench", "search", "--quick", "--json", str(out), "--workdir", str(tmp_path)]) == 0
    (row,) = json.loads(out.read_text())["pools"]
    assert row["pool"] == 2000 and row["words_matches"] == 20 and row["map_points"] == 2000
    for key in ("exact_numpy_ms", "semantic_more_like_this_ms", "semantic_typed_ms", "words_ms", "regex_ms",
                "filters_only_ms", "map_pca_s", "map_page_data_ms", "map_chart_json_bytes"):
        assert row[key] >= 0, key
    for key in ("exact_numpy_ms", "semantic_typed_ms", "words_ms", "map_page_data_ms"):
        assert 0 <= row[key + "_best"] <= row[key] and row[key + "_cpu"] >= 0, key  # fastest, median, CPU
    assert "pool 2,000" in capsys.readouterr().out


def test_cli_bench_seed_quick_compares_seeding_with_the_queue(tmp_path, tiny_dataset, capsys):
    out = tmp_path / "seed.json"
    assert main(["bench", "seed", "--quick", "--data", str(tiny_dataset), "--per-label", "2", "--json", str(out),
                 "--workdir", str(tmp_path), "--label-prior", "off"]) == 0
    assert json.loads(out.read_text())["label_prior"] == "off"
    data = json.loads(out.read_text())["datasets"][tiny_dataset.name]
    arms = {row["arm"]: row for row in data["table"]}
    assert set(arms) == {"queue", "seed2"}
    assert arms["queue"]["seeded"] == 0 and arms["seed2"]["seeded"] == 2 * data["classes"]
    for row in arms.values():
        assert 0.0 <= row["acc@20"] <= 1.0 and 0.0 <= row["acc@40"] <= 1.0
    searched = [run for run in data["runs"] if run["arm"] == "seed2"][0]
    assert [p["labels"] for p in searched["curve"]] == [20, 40]
