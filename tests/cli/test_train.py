"""labelloop train and labelloop simulate, with the tiny BERT; a fine-tune below the minimum is refused."""

from __future__ import annotations

import json

from annotator.cli import main
from annotator.services.settings import set_settings
from annotator.store import jobs as job_store
from annotator.store.versions import list_versions
from tests.helpers.files import write_jsonl
from tests.helpers.pool import add_pool, gold_rows, label_some


def test_cli_train_and_simulate(project, tmp_path, tiny_model_dir, capsys):
    set_settings(project.db, model=str(tiny_model_dir), finetune_min_per_class=2)
    rows = gold_rows(30)
    add_pool(project, tmp_path, rows)
    label_some(project, rows, 9)
    assert main(["train", "--project", str(project.path)]) == 0
    out = capsys.readouterr()
    assert "published v" in out.out and "finetune" in out.out and "%" in out.err
    gold = write_jsonl(tmp_path / "gold.jsonl", rows)
    test = write_jsonl(tmp_path / "test.jsonl", gold_rows(9, seed=2))
    out_json = tmp_path / "curve.json"
    assert main(["simulate", "--project", str(project.path), "--gold", str(gold), "--test", str(test),
                 "--budget", "10", "--batch", "5", "--strategy", "random", "--seed", "1",
                 "--finetune-every", "0", "--json", str(out_json)]) == 0
    printed = capsys.readouterr().out
    assert "random seed 1: 10 labels, accuracy " in printed and "micro-F1" not in printed
    result = json.loads(out_json.read_text())
    assert set(result) == {"strategy", "seed", "curve", "auc", "total_s"}
    assert result["strategy"] == "random" and result["seed"] == 1 and len(result["curve"]) == 2
    assert set(result["curve"][0]) == {"labels", "accuracy", "macro_f1", "model_version", "refresh_s", "finetune_s"}


def test_train_below_the_minimum_is_a_one_line_refusal(project, tmp_path, tiny_model_dir, capsys):
    set_settings(project.db, model=str(tiny_model_dir), finetune_min_per_class=3)
    rows = gold_rows(12)
    add_pool(project, tmp_path, rows)
    label_some(project, rows, 5)  # labels of three classes, none of them three times
    assert main(["train", "--project", str(project.path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "at least two labels with 3 training labels each" in err
    assert job_store.latest_job(project.db) is None
    assert [v for v in list_versions(project.db) if v["kind"] == "finetune"] == []
    label_some(project, rows, 4)  # now pos and neg have three each
    assert main(["train", "--project", str(project.path)]) == 0
