"""labelloop simulate on multi-label gold files (``labels`` lists): a multi-label project is created,
the simulated annotator saves sets, and every point carries the multi-label figures."""

from __future__ import annotations

import json

import pytest

from annotator.cli import main
from annotator.errors import InputError
from annotator.services.simulate import simulate
from annotator.store.label_sets import current_label_sets
from tests.helpers.files import write_jsonl
from tests.helpers.pool import gold_rows


def _files(tmp_path):
    rows = [{"text": r["text"], "labels": [r["label"]] + (["long"] if i % 3 == 0 else [])}
            for i, r in enumerate(gold_rows(60))]
    return write_jsonl(tmp_path / "gold.jsonl", rows[:45]), write_jsonl(tmp_path / "test.jsonl", rows[45:])


def test_simulate_on_label_sets_gives_micro_f1_curves(tmp_path, tiny_model_dir, capsys):
    gold, test = _files(tmp_path)
    out = tmp_path / "curve.json"
    code = main(["simulate", "--project", str(tmp_path / "sim"), "--gold", str(gold), "--test", str(test),
                 "--budget", "20", "--batch", "10", "--strategy", "margin", "--finetune-every", "0",
                 "--model", str(tiny_model_dir), "--json", str(out)])
    printed = capsys.readouterr().out
    assert code == 0 and "micro-F1" in printed and "subset accuracy" in printed and "auc (subset accuracy)" in printed
    curve = json.loads(out.read_text())["curve"]
    assert [point["labels"] for point in curve] == [10, 20]
    assert {"micro_f1", "macro_f1", "subset_accuracy", "hamming_loss"} <= set(curve[-1])
    assert curve[-1]["accuracy"] == curve[-1]["subset_accuracy"]
    from annotator.services.projects import open_project

    with open_project(tmp_path / "sim") as project:
        sets = current_label_sets(project.db)
        assert len(sets) == 20 and any(len(row["names"]) == 2 for row in sets)


def test_a_single_label_project_refuses_a_multi_label_gold_file(project, tmp_path, tiny_model_dir):
    gold, test = _files(tmp_path)
    with pytest.raises(InputError, match="multi-label gold file for a single-label project"):
        simulate(project.path, gold, test, budget=10, batch=10, strategy="margin", seed=0, finetune_every=0,
                 model=str(tiny_model_dir))


def test_simulate_fine_tunes_on_label_sets(tmp_path, tiny_model_dir):
    """Without --finetune-every 0 a multi-label simulation fine-tunes on sets; the point after it is the
    head on the fine-tuned encoder, with the fine-tuned network's own figures beside it."""
    from annotator.services.projects import create_project
    from annotator.services.settings import set_settings
    from annotator.store.versions import current_version

    gold, test = _files(tmp_path)
    with create_project(tmp_path / "sim", sorted({"pos", "neg", "neutral", "long"}), multi_label=True) as project:
        set_settings(project.db, finetune_min_per_class=2, finetune_min_steps=20, max_length=32)
    result = simulate(tmp_path / "sim", gold, test, budget=20, batch=10, strategy="margin", seed=0,
                      finetune_every=10, model=str(tiny_model_dir))
    first, second = result["curve"]
    for point in (first, second):
        assert point["finetune_s"] is not None and {"micro_f1", "macro_f1", "subset_accuracy"} <= set(point)
        assert {"classifier_accuracy", "classifier_micro_f1", "classifier_macro_f1"} <= set(point)
    assert second["model_version"] > first["model_version"]
    from annotator.services.projects import open_project

    with open_project(tmp_path / "sim") as project:
        version = current_version(project.db)
        assert version["kind"] == "finetune" and version["version"] == second["model_version"]
        assert version["metrics"]["n_train"] == 20
