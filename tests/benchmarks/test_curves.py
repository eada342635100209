"""Curves benchmark smoke test and its summary arithmetic."""

from __future__ import annotations

import json

import pytest

from annotator.cli import main
from benchmarks.curves import labels_to_reach, summarize

RUN_KEYS = {"strategy", "seed", "curve", "auc", "total_s", "tier", "config"}
POINT_KEYS = {"labels", "accuracy", "macro_f1", "model_version", "refresh_s", "finetune_s"}


def _run(strategy, tier, accuracies, seed=0):
    curve = [{"labels": 10 * (i + 1), "accuracy": a, "macro_f1": a, "model_version": i + 1,
              "refresh_s": 0.1, "finetune_s": None} for i, a in enumerate(accuracies)]
    return {"strategy": strategy, "seed": seed, "tier": tier, "config": f"{strategy}/{tier}",
            "curve": curve, "auc": sum(accuracies) / len(accuracies), "total_s": 1.0}


def test_labels_to_reach_is_the_first_point_at_or_above_target():
    curve = [{"labels": 10, "accuracy": 0.5}, {"labels": 20, "accuracy": 0.8}, {"labels": 30, "accuracy": 0.7}]
    assert labels_to_reach(curve, 0.8) == 20
    assert labels_to_reach(curve, 0.9) is None


def test_summarize_compares_each_strategy_with_random_of_its_tier():
    runs = [
        _run("random", "fast", [0.4, 0.5, 0.6]),
        _run("margin", "fast", [0.5, 0.7, 0.8]),
        _run("margin", "fast", [0.5, 0.5, 0.8], seed=1),
    ]
    table = {row["config"]: row for row in summarize(runs)["table"]}
    assert table["random/fast"]["labels_to_random_final"] == 30
    margin = table["margin/fast"]
    assert margin["seeds"] == 2
    assert margin["labels_to_random_final"] == 20  # mean curve 0.5, 0.6, 0.8
    assert abs(margin["auc"] - (2.0 / 3 + 1.8 / 3) / 2) < 1e-3  # mean AUC over the two seeds
    assert margin["final_accuracy"] == 0.8


def test_cli_bench_curves_quick_fast_and_warm_tiers(tiny_dataset, tmp_path, capsys):
    out, png = tmp_path / "curves.json", tmp_path / "curves.png"
    code = main(["bench", "curves", "--quick", "--data", str(tiny_dataset), "--strategies", "margin",
                 "--tiers", "fast,warm", "--budget", "20", "--batch", "10", "--finetune-every", "20",
                 "--json", str(out), "--plot", str(png), "--workdir", str(tmp_path)])
    assert code == 0
    result = json.loads(out.read_text())
    data = result["datasets"]["toy"]
    assert data["n_pool"] > 0 and data["n_test"] > 0
    assert sorted(run["config"] for run in data["runs"]) == ["margin/fast", "margin/warm"]
    for run in data["runs"]:
        assert RUN_KEYS <= set(run)
        assert [p["labels"] for p in run["curve"]] == [10, 20]
        for point in run["curve"]:
            assert POINT_KEYS <= set(point)
            assert 0.0 <= point["accuracy"] <= 1.0 and 0.0 <= point["macro_f1"] <= 1.0
        finetunes = [p["finetune_s"] for p in run["curve"] if p["finetune_s"] is not None]
        assert len(finetunes) == (1 if run["tier"] == "warm" else 0)
    rows = {row["config"]: row for row in data["summary"]["table"]}
    assert set(rows) == {"margin/fast", "margin/warm"}
    assert all(0.0 <= row["auc"] <= 1.0 for row in rows.values())
    assert png.stat().st_size > 1000
    assert "margin/fast" in capsys.readouterr().out


def test_cli_bench_curves_rejects_unknown_strategy(tiny_dataset, tmp_path, capsys):
    code = main(["bench", "curves", "--quick", "--data", str(tiny_dataset), "--strategies", "nope",
                 "--workdir", str(tmp_path)])
    assert code == 1
    assert "unknown strategy 'nope'" in capsys.readouterr().err


def test_merge_curves_pools_runs_of_a_dataset_and_summarizes_again():
    from benchmarks.curves import merge_curves

    first = {"config": {"tiers": ["fast"]}, "datasets": {"d": {"n_pool": 5, "n_test": 2, "runs": [
        _run("random", "fast", [0.4, 0.6])], "summary": {}}}}
    second = {"config": {"tiers": ["warm"]}, "datasets": {"d": {"n_pool": 5, "n_test": 2, "runs": [
        _run("margin", "fast", [0.6, 0.7])], "summary": {}}}}
    merged = merge_curves([first, second])
    rows = {row["config"]: row for row in merged["datasets"]["d"]["summary"]["table"]}
    assert set(rows) == {"random/fast", "margin/fast"}
    assert rows["margin/fast"]["labels_to_random_final"] == 10
    assert merged["merged_from"] == [{"tiers": ["fast"]}, {"tiers": ["warm"]}]


def test_prepare_dataset_reuses_a_cached_project(tiny_dataset, tiny_model_dir, tmp_path):
    from benchmarks.curves import prepare_dataset

    cache = tmp_path / "cache"
    first = prepare_dataset(tiny_dataset, tmp_path / "w1", model=str(tiny_model_dir), pool_limit=50,
                            test_limit=20, cache_dir=cache)
    second = prepare_dataset(tiny_dataset, tmp_path / "w2", model=str(tiny_model_dir), pool_limit=50,
                             test_limit=20, cache_dir=cache)
    assert (first["cached"], second["cached"]) == (False, True)
    assert second["base"] == first["base"] and (first["base"] / "embeddings" / "enc_v0" / "vectors.npy").is_file()
    assert (second["n_pool"], second["n_test"]) == (50, 20)


def test_markdown_tables_have_a_row_per_configuration():
    from benchmarks.curves import markdown_tables

    runs = [_run("random", "fast", [0.4, 0.5, 0.6]), _run("margin", "fast", [0.5, 0.7, 0.8]),
            _run("margin", "fast", [0.5, 0.5, 0.8], seed=1)]
    result = {"datasets": {"toy": {"n_pool": 1000, "n_test": 50, "classes": ["a", "b"], "runs": runs}}}
    text = markdown_tables(result)
    lines = text.splitlines()
    assert lines[0] == "**toy** (pool 1,000, test 50, 2 classes)"
    assert lines[2].startswith("| strategy / tier | seeds | AUC | acc @30 | macro-F1 @30 |")
    assert lines[4].startswith("| margin/fast | 2 | 63.3 ± 4.7 | 80.0 | 80.0 | 20 |")
    assert lines[5].startswith("| random/fast | 1 | 50.0 | 60.0 | 60.0 | 30 |")


def test_cli_bench_curves_runs_each_label_prior_and_margin_kmeans(tiny_dataset, tmp_path):
    out = tmp_path / "curves.json"
    code = main(["bench", "curves", "--quick", "--data", str(tiny_dataset), "--strategies", "margin_kmeans,random",
                 "--label-prior", "off,on", "--fast-only", "--budget", "20", "--batch", "10",
                 "--json", str(out), "--workdir", str(tmp_path)])
    assert code == 0
    data = json.loads(out.read_text())["datasets"]["toy"]
    assert sorted(run["config"] for run in data["runs"]) == [
        "margin_kmeans/fast/prior-off", "margin_kmeans/fast/prior-on", "random/fast/prior-off", "random/fast/prior-on"]
    rows = {row["config"]: row for row in data["summary"]["table"]}
    random_off = next(r for r in data["runs"] if r["config"] == "random/fast/prior-off")
    assert data["summary"]["random_final_accuracy"]["fast"] == round(random_off["curve"][-1]["accuracy"], 4)
    assert rows["margin_kmeans/fast/prior-on"]["random_final_accuracy"] == data["summary"]["random_final_accuracy"]["fast"]
    assert main(["bench", "curves", "--quick", "--data", str(tiny_dataset), "--label-prior", "maybe",
                 "--workdir", str(tmp_path)]) == 1


def test_the_dev_split_holds_out_part_of_train_and_reuses_its_vectors(tiny_dataset, tiny_model_dir, tmp_path):
    import numpy as np

    from benchmarks.common import base_test_vectors, read_jsonl
    from benchmarks.curves import prepare_dataset, split_rows

    pool, held = split_rows(tiny_dataset, "dev", None, None)
    train = {row["text"] for row in read_jsonl(tiny_dataset / "train.jsonl")}
    test = {row["text"] for row in read_jsonl(tiny_dataset / "test.jsonl")}
    assert {r["text"] for r in pool} | {r["text"] for r in held} == train  # test.jsonl never read
    assert not {r["text"] for r in pool} & {r["text"] for r in held} and not test & {r["text"] for r in held}
    assert abs(len(held) - 0.2 * len(train)) <= 1
    assert split_rows(tiny_dataset, "dev", None, None) == (pool, held)  # seeded

    cache = tmp_path / "cache"
    full = prepare_dataset(tiny_dataset, tmp_path / "w1", model=str(tiny_model_dir), pool_limit=None,
                           test_limit=None, cache_dir=cache)
    dev = prepare_dataset(tiny_dataset, tmp_path / "w2", model=str(tiny_model_dir), pool_limit=None,
                          test_limit=None, cache_dir=cache, split="dev")
    assert dev["base"] != full["base"] and (dev["n_pool"], dev["n_test"]) == (len(pool), len(held))
    vectors, labels = base_test_vectors(dev)
    assert labels == [str(r["label"]) for r in held] and len(vectors) == len(held)
    from annotator.services.projects import open_project
    from annotator.services.training.models import load_models

    with open_project(dev["base"]) as project:
        fresh = load_models(project).encoder.embed([r["text"] for r in held[:5]])
    assert np.allclose(vectors[:5], fresh, atol=1e-5)  # the reused vectors are the encoder's own


def test_cli_bench_curves_fixes_settings_and_names_them_in_the_config(tiny_dataset, tmp_path):
    out = tmp_path / "curves.json"
    code = main(["bench", "curves", "--quick", "--data", str(tiny_dataset), "--strategies", "margin,random",
                 "--setting", "epochs=2", "--setting", "warm_start=false", "--fast-only", "--budget", "20",
                 "--batch", "10", "--json", str(out), "--workdir", str(tmp_path)])
    assert code == 0
    result = json.loads(out.read_text())
    assert result["config"]["settings"] == {"epochs": 2, "warm_start": False}
    data = result["datasets"]["toy"]
    assert sorted(run["config"] for run in data["runs"]) == [
        "margin/fast/epochs=2/warm_start=False", "random/fast/epochs=2/warm_start=False"]
    assert {row["config"] for row in data["summary"]["table"]} == {run["config"] for run in data["runs"]}


@pytest.mark.parametrize("pair", ["epochs", "=1", "no_such_setting=1", "epochs=-3"])
def test_cli_bench_curves_refuses_a_bad_setting_on_one_line(tiny_dataset, tmp_path, capsys, pair):
    assert main(["bench", "curves", "--quick", "--data", str(tiny_dataset), "--setting", pair,
                 "--workdir", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and ("setting" in err)
