"""The fine-tuned tier of a multi-label project with the tiny BERT: ``labelloop train`` and the worker
fine-tune on label sets and publish a ``finetune`` version whose predictor is the one-vs-rest head on
the new encoder (multi-label figures, thresholds, suggested sets); the minimum counts texts per label;
the version's export is a multi-label pipeline giving that head's per-label scores."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest
from scipy.special import expit

from annotator.cli import main
from annotator.services import queue
from annotator.services.imports import import_file
from annotator.services.label_sets import suggested_set
from annotator.services.projects import create_project
from annotator.services.settings import set_settings
from annotator.store import jobs as job_store
from annotator.store.versions import current_version, list_versions, version_head, version_scores
from learner.head import head_features
from tests.helpers.files import write_jsonl
from tests.helpers.models import pipeline_of, unzip
from tests.helpers.pool import gold_rows

LABELS = ["pos", "neg", "neutral", "long"]
SET_FIGURES = {"micro_f1", "macro_f1", "subset_accuracy", "hamming_loss", "accuracy", "thresholds", "n_eval"}


def _sets(rows):
    """The tiny pool's sentiment label, plus ``long`` for every third text (a second label on some texts)."""
    return {row["text"]: [row["label"]] + (["long"] if i % 3 == 0 else []) for i, row in enumerate(rows)}


@pytest.fixture
def multi(tmp_path, tiny_model_dir):
    """A multi-label project: 45 pool texts, 15 evaluation texts with their sets, ``answers`` of all."""
    with create_project(tmp_path / "m", LABELS, multi_label=True) as project:
        set_settings(project.db, model=str(tiny_model_dir), batch_size=10, finetune_min_per_class=2, max_length=32,
                     finetune_min_steps=20)
        rows = gold_rows(60)
        project.answers = _sets(rows)
        import_file(project, write_jsonl(tmp_path / "pool.jsonl", [{"text": r["text"]} for r in rows[:45]]))
        evals = [{"text": r["text"], "labels": project.answers[r["text"]]} for r in rows[45:]]
        import_file(project, write_jsonl(tmp_path / "eval.jsonl", evals), label_column="labels", eval_set=True)
        yield project


def _label(project, n, annotator="ann"):
    for _ in range(n):
        item = queue.next_item(project, annotator)
        queue.save_label_set(project, annotator, item.example_id, project.answers[item.text])


def _finetunes(project):
    return [v for v in list_versions(project.db) if v["kind"] == "finetune"]


def test_labelloop_train_fine_tunes_on_sets_and_publishes_the_head_on_the_new_encoder(multi, capsys):
    from annotator.services.training.models import load_models
    from annotator.services.training.refresh import refresh

    _label(multi, 12)
    assert main(["train", "--project", str(multi.path)]) == 0
    printed = capsys.readouterr().out
    assert "published v" in printed and '"micro_f1"' in printed and '"subset_accuracy"' in printed
    version = current_version(multi.db)
    assert version["kind"] == "finetune" and version["encoder_version"] == version["version"]
    metrics = version["metrics"]
    assert SET_FIGURES <= set(metrics) and metrics["n_eval"] == 15 and metrics["n_train"] == 12
    assert metrics["predictor"] == {"kind": "head", "multi_label": True}
    assert metrics["accuracy"] == metrics["subset_accuracy"] and set(metrics["thresholds"]) == set(LABELS)
    assert {"micro_f1", "macro_f1", "subset_accuracy", "n_eval"} == set(metrics["classifier"])
    assert metrics["warm_start"] is False and metrics["checksums"]
    scored = version_scores(multi.db, version["version"])
    assert len(scored) == 60 and all(suggested_set(row["predicted"], LABELS) is not None for row in scored)
    # the saved model is a multi-label classifier, and the worker's next refresh is on its encoder
    models = load_models(multi)
    assert models.encoder_version == version["version"] and models.encoder.multi_label_ is True
    _label(multi, 3)
    result = refresh(multi, models)
    assert result.kind == "head" and current_version(multi.db)["encoder_version"] == version["version"]
    assert SET_FIGURES <= set(result.metrics)
    # a second fine-tune continues from the first (warm start on sets)
    assert main(["train", "--project", str(multi.path)]) == 0
    assert _finetunes(multi)[-1]["metrics"]["warm_start"] is True and len(_finetunes(multi)) == 2


def test_the_minimum_counts_texts_per_label_over_sets(multi, capsys):
    from annotator.services.training.triggers import examples_per_label

    set_settings(multi.db, finetune_min_per_class=5)
    _label(multi, 4)
    counts = examples_per_label(multi.db)
    assert sum(counts.values()) > 4  # a text with two labels counts for both
    assert main(["train", "--project", str(multi.path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "at least two labels with 5 training texts holding it" in err
    assert job_store.latest_job(multi.db, "finetune") is None and _finetunes(multi) == []


def test_with_the_label_prior_the_fine_tuned_head_is_the_one_a_refresh_fits(multi):
    """The label names, embedded by the new encoder, are in the fine-tuned version's head as in every
    refresh's: the next refresh on that encoder, with the same sets, fits the same head."""
    from annotator.services.training.finetune import finetune
    from annotator.services.training.models import load_models
    from annotator.services.training.refresh import refresh

    set_settings(multi.db, label_prior="on")
    _label(multi, 12)
    models = load_models(multi)
    tuned = finetune(multi, models)
    again = refresh(multi, models)
    assert again.kind == "head" and models.encoder_version == tuned.version
    X = np.asarray(models.encoder.embed([row["text"] for row in gold_rows(60)[:10]]))
    assert np.allclose(tuned.head.predict_proba(X), again.head.predict_proba(X), atol=1e-4)
    assert tuned.metrics["label_prior"] is True and tuned.head.prior is not None


def test_the_worker_fine_tunes_a_multi_label_project(multi, monkeypatch):
    from annotator.services.training import schedule
    from annotator.services.training.models import load_models

    monkeypatch.setattr(schedule, "IDLE_SECONDS", 0.0)
    set_settings(multi.db, finetune_every=10)
    _label(multi, 10)
    loop = schedule.LearningLoop(multi, load_models(multi), threading.Event(), poll_seconds=0.01)
    for _ in range(3):
        loop.step()
        if loop._thread is not None:
            loop._thread.join(timeout=300)
    tuned = _finetunes(multi)
    assert len(tuned) == 1 and SET_FIGURES <= set(tuned[0]["metrics"])
    assert job_store.latest_job(multi.db, "finetune")["status"] == "done"


def test_the_fine_tuned_version_exports_as_a_multi_label_pipeline(multi, tmp_path):
    """export --model of the fine-tuned version: a pipeline's sigmoid per label is the head on the
    fine-tuned encoder, and its thresholds give the sets the queue suggested."""
    from annotator.services.training.models import load_models

    _label(multi, 12)
    assert main(["train", "--project", str(multi.path)]) == 0
    version = current_version(multi.db)
    out = tmp_path / "model.zip"
    assert main(["export", "--project", str(multi.path), "--model", "--out", str(out)]) == 0
    folder = unzip(out, tmp_path / "unzipped")
    config = json.loads((folder / "config.json").read_text())
    assert config["problem_type"] == "multi_label_classification"
    assert config["label_thresholds"] == version["metrics"]["thresholds"]
    texts = dict(multi.db.execute("SELECT id, text FROM examples").fetchall())
    scored = version_scores(multi.db, version["version"])
    got = pipeline_of(folder)([texts[row["example_id"]] for row in scored], top_k=None)
    scores = np.asarray([[next(d["score"] for d in row if d["label"] == c) for c in LABELS] for row in got])
    # the Dashboard's predictor: the version's stored head on the fine-tuned encoder's embeddings
    stored = version_head(multi.db, version["version"])
    assert stored.encoder_version == version["version"] and list(stored.classes) == LABELS
    X = load_models(multi).encoder.embed([texts[row["example_id"]] for row in scored])
    assert abs(scores - expit(head_features(X) @ stored.coef.T + stored.intercept)).max() < 1e-4
    thresholds = np.asarray([config["label_thresholds"][c] for c in LABELS])
    decided = [[c for c, s, t in zip(LABELS, row, thresholds) if s >= t] for row in scores]
    assert decided == [json.loads(row["predicted"]) for row in scored]
