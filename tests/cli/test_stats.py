"""labelloop stats --json carries agreement and model sections."""

from __future__ import annotations

import json

from annotator.cli import main
from annotator.store.versions import publish_version


def test_stats_json_has_agreement_and_model(team_project, capsys):
    publish_version(team_project.db, kind="head", strategy="margin", scores=[], n_labels=9,
                    metrics={"accuracy": 0.8, "macro_f1": 0.75, "n_eval": 20, "confusion": []})
    assert main(["stats", "--project", str(team_project.path), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert set(stats["agreement"]) >= {"percent", "fleiss_kappa", "krippendorff_alpha"}
    assert stats["agreement"]["n_items"] == 5
    assert 0 < stats["agreement"]["percent"] < 1
    assert stats["model"] == {"version": 1, "kind": "head", "predictor": None, "n_labels": 9, "accuracy": 0.8,
                              "macro_f1": 0.75, "n_eval": 20, "exported": None, "scored": 0}


def test_stats_json_on_a_fresh_project(project, capsys):
    assert main(["stats", "--project", str(project.path), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["agreement"] == {"n_items": 0, "percent": None, "fleiss_kappa": None, "krippendorff_alpha": None}
    assert stats["model"]["version"] is None and stats["model"]["accuracy"] is None


def test_undefined_agreement_is_null_not_nan(project, tmp_path, capsys):
    from annotator.store.labels import add_label
    from tests.helpers.team import add_texts

    (example,) = add_texts(project, ["only text"], tmp_path)
    add_label(project.db, example, "pos", "a")
    add_label(project.db, example, "pos", "b")  # one label used: chance agreement is total
    assert main(["stats", "--project", str(project.path), "--json"]) == 0
    out = capsys.readouterr().out
    assert "NaN" not in out
    assert json.loads(out)["agreement"] == {
        "n_items": 1, "percent": 1.0, "fleiss_kappa": None, "krippendorff_alpha": None,
    }


def test_stats_of_a_multi_label_model_measures_its_zip_once(tmp_path, tiny_model_dir, capsys):
    from annotator.services.imports import import_file
    from annotator.services.model_export import measurement_due
    from annotator.services.projects import create_project
    from annotator.services.settings import set_settings
    from annotator.services.training.models import load_models
    from annotator.services.training.refresh import refresh
    from tests.helpers.files import write_jsonl
    from tests.helpers.pool import gold_rows

    rows = gold_rows(40)
    sets = [{"text": r["text"], "labels": [r["label"]] + (["long"] if i % 3 == 0 else [])} for i, r in enumerate(rows)]
    with create_project(tmp_path / "multi", ["pos", "neg", "neutral", "long"], multi_label=True) as project:
        set_settings(project.db, model=str(tiny_model_dir), max_length=32)
        import_file(project, write_jsonl(tmp_path / "pool.jsonl", sets[:30]), label_column="labels")
        import_file(project, write_jsonl(tmp_path / "eval.jsonl", sets[30:]), label_column="labels", eval_set=True)
        refresh(project, load_models(project))
        assert main(["stats", "--project", str(project.path)]) == 0
        out = capsys.readouterr().out
        assert "exported model: the same head, scored below" in out and "on 10 evaluation texts" in out
        assert measurement_due(project) is None  # the worker does not measure it again at every idle moment
