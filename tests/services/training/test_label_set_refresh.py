"""The fast tier of a multi-label project with the tiny BERT: the cold start until two texts have a
set, then the one-vs-rest head ranks the pool, suggests sets (JSON in scores.predicted) and is scored
on the labeled evaluation texts with multi-label metrics."""

from __future__ import annotations

import json

import numpy as np
import pytest

from annotator.services import queue
from annotator.services.imports import import_file
from annotator.services.label_sets import suggested_set
from annotator.services.projects import create_project
from annotator.services.settings import set_settings
from annotator.store.versions import current_version, version_scores
from tests.helpers.files import write_jsonl
from tests.helpers.pool import gold_rows

LABELS = ["pos", "neg", "neutral", "long"]


def _sets(rows):
    """The tiny pool's sentiment label, plus ``long`` for every third text (a second label on some texts)."""
    return {row["text"]: [row["label"]] + (["long"] if i % 3 == 0 else []) for i, row in enumerate(rows)}


@pytest.fixture
def multi(tmp_path, tiny_model_dir):
    with create_project(tmp_path / "m", LABELS, multi_label=True) as project:
        set_settings(project.db, model=str(tiny_model_dir), batch_size=10)
        yield project


@pytest.mark.parametrize("strategy", ["margin", "margin_kmeans"])
def test_sets_train_the_head_that_ranks_and_suggests(multi, tmp_path, strategy):
    from annotator.services.training.models import load_models
    from annotator.services.training.refresh import refresh

    set_settings(multi.db, strategy=strategy)
    rows = gold_rows(60)
    answers = _sets(rows)
    import_file(multi, write_jsonl(tmp_path / "pool.jsonl", [{"text": r["text"]} for r in rows[:45]]))
    evals = write_jsonl(tmp_path / "eval.jsonl", [{"text": r["text"], "labels": answers[r["text"]]} for r in rows[45:]])
    import_file(multi, evals, label_column="labels", eval_set=True)
    models = load_models(multi)
    assert refresh(multi, models).kind == "coldstart"
    for _ in range(12):
        item = queue.next_item(multi, "ann")
        queue.save_label_set(multi, "ann", item.example_id, answers[item.text])
    result = refresh(multi, models)
    assert result.kind == "head" and result.metrics["n_train"] == 12 and result.metrics["n_eval"] == 15
    assert {"micro_f1", "macro_f1", "subset_accuracy", "hamming_loss"} <= set(result.metrics)
    assert result.metrics["accuracy"] == result.metrics["subset_accuracy"]
    assert set(result.metrics["thresholds"]) == set(LABELS)
    version = current_version(multi.db)
    assert version["version"] == result.version and version["strategy"] == strategy
    scored = version_scores(multi.db, result.version)
    assert len(scored) == 60
    for row in scored:
        assert suggested_set(row["predicted"], LABELS) is not None
        assert isinstance(json.loads(row["predicted"]), list)
    item = queue.next_item(multi, "ann")
    assert item.model_version == result.version and suggested_set(item.predicted, LABELS) is not None


def test_the_version_exports_as_a_multi_label_pipeline(multi, tmp_path):
    from transformers import pipeline

    from annotator.services.model_export import build_model_folder
    from annotator.services.training.models import load_models
    from annotator.services.training.refresh import refresh

    rows = gold_rows(30)
    answers = _sets(rows)
    import_file(multi, write_jsonl(tmp_path / "pool.jsonl", [{"text": t, "labels": s} for t, s in answers.items()]),
                label_column="labels")
    models = load_models(multi)
    result = refresh(multi, models)
    assert result.kind == "head"
    folder, version = build_model_folder(multi)
    assert version["version"] == result.version
    config = json.loads((folder / "config.json").read_text())
    assert config["problem_type"] == "multi_label_classification"
    assert config["label_thresholds"] == result.metrics["thresholds"]
    texts = list(answers)[:5]
    got = pipeline("text-classification", model=str(folder), top_k=None, device="cpu")(texts)
    scores = [[d["score"] for d in sorted(row, key=lambda d: LABELS.index(d["label"]))] for row in got]
    expected = result.head.predict_proba(models.encoder.embed(texts))
    assert abs(np.asarray(scores) - expected).max() < 1e-4
