"""Per-label quality of a multi-label model on its evaluation texts, with the tiny BERT: the figures
agree with the version's own micro- and macro-F1, and the Dashboard carries them."""

from __future__ import annotations

import pytest

from annotator.services.dashboard import learning_curve, load_dashboard
from annotator.services.imports import import_file
from annotator.services.projects import create_project
from annotator.services.set_quality import QUALITY_COLUMNS, per_label_quality
from annotator.services.settings import set_settings
from annotator.store.versions import current_version
from tests.helpers.files import write_jsonl
from tests.helpers.pool import gold_rows

LABELS = ["pos", "neg", "neutral", "long"]


def test_per_label_quality_agrees_with_the_versions_figures(tmp_path, tiny_model_dir):
    from annotator.services.training.models import load_models
    from annotator.services.training.refresh import refresh

    rows = gold_rows(45)
    sets = [{"text": r["text"], "labels": [r["label"]] + (["long"] if i % 3 == 0 else [])} for i, r in enumerate(rows)]
    with create_project(tmp_path / "m", LABELS, multi_label=True) as project:
        set_settings(project.db, model=str(tiny_model_dir), max_length=32)
        none, no_version = per_label_quality(project)  # no model yet
        assert none.empty and no_version is None
        import_file(project, write_jsonl(tmp_path / "pool.jsonl", sets[:30]), label_column="labels")
        import_file(project, write_jsonl(tmp_path / "eval.jsonl", sets[30:]), label_column="labels", eval_set=True)
        version = refresh(project, load_models(project)).version
        frame, scored = per_label_quality(project)
        assert scored == version and list(frame.columns) == QUALITY_COLUMNS and list(frame["label"]) == LABELS
        assert int(frame.set_index("label").loc["long", "support"]) == 5 and frame["support"].sum() == 20
        metrics = current_version(project.db)["metrics"]
        assert (frame["support"] > 0).all()  # every label is used, so macro-F1 is the mean over all four
        assert frame["f1"].mean() == pytest.approx(metrics["macro_f1"], abs=1e-9)
        assert load_dashboard(project).label_quality.equals(frame)
        assert learning_curve(project)["micro_f1"].tolist() == [pytest.approx(metrics["micro_f1"])]
