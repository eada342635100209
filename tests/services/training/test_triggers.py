"""What starts a refresh and a fine-tune: training labels only, and the fine-tune minimum."""

from __future__ import annotations

import threading

import pytest

from annotator.services import queue
from annotator.services.imports import import_file
from annotator.services.settings import set_settings
from annotator.services.training.triggers import finetune_blocker
from annotator.store import jobs as job_store
from annotator.store.trainset import training_examples_per_label
from annotator.store.versions import list_versions
from tests.helpers.files import write_jsonl
from tests.helpers.pool import add_pool, gold_rows


def _worker(project):
    from annotator.services.training.models import load_models
    from annotator.services.training.schedule import LearningLoop as Worker

    return Worker(project, load_models(project), threading.Event(), poll_seconds=0.01)


def _run_steps(worker, n=3):
    for _ in range(n):
        worker.step()
        if worker._thread is not None:
            worker._thread.join(timeout=120)


@pytest.fixture
def trial(project, tmp_path, tiny_model_dir, monkeypatch):
    """The demo trial: a labeled evaluation set imported, an annotator gives two labels of two classes."""
    from annotator.services.training import schedule as loop

    monkeypatch.setattr(loop, "IDLE_SECONDS", 0.0)  # labeling has "paused": the idle trigger is live
    set_settings(project.db, model=str(tiny_model_dir))
    rows = gold_rows(30)
    add_pool(project, tmp_path, rows)
    import_file(project, write_jsonl(tmp_path / "eval.jsonl", gold_rows(12, seed=5)), label_column="label",
                eval_set=True)
    answers = {r["text"]: r["label"] for r in rows}
    given = set()
    while len(given) < 2:  # two labels of two classes, as in the trial
        item = queue.next_item(project, "annotator")
        if answers[item.text] in given:
            queue.skip(project, "annotator", item.example_id)
            continue
        given.add(answers[item.text])
        queue.save_label(project, "annotator", item.example_id, answers[item.text])
    project.answers = answers
    return project


def test_imported_evaluation_labels_are_not_new_labels(trial):
    status = queue.queue_status(trial)
    assert status["labels_since_refresh"] == 2 and status["labels_since_finetune"] == 2


def test_the_demo_trial_starts_no_fine_tune(trial):
    worker = _worker(trial)
    _run_steps(worker)
    kinds = [v["kind"] for v in list_versions(trial.db)]
    assert "head" in kinds and "finetune" not in kinds  # the head refreshed; no BERT fine-tune on 2 labels
    assert job_store.latest_job(trial.db, "finetune") is None


def test_a_fine_tune_starts_once_the_minimum_is_met(trial):
    set_settings(trial.db, finetune_min_per_class=3)
    worker = _worker(trial)
    _run_steps(worker)
    assert job_store.latest_job(trial.db, "finetune") is None
    while finetune_blocker(training_examples_per_label(trial.db), 3) is not None:
        item = queue.next_item(trial, "annotator")
        queue.save_label(trial, "annotator", item.example_id, trial.answers[item.text])
    _run_steps(worker)
    finetuned = [v for v in list_versions(trial.db) if v["kind"] == "finetune"]
    assert len(finetuned) == 1 and finetuned[0]["n_labels"] >= 6
    assert job_store.latest_job(trial.db, "finetune")["status"] == "done"


def test_the_blocker_names_the_rule_and_the_counts():
    assert finetune_blocker({"a": 8, "b": 8}, 8) is None
    reason = finetune_blocker({"a": 9, "b": 2, "c": 1}, 8)
    assert "at least two labels with 8 training labels each" in reason and "a 9, b 2, c 1" in reason
    assert "no training labels" in finetune_blocker({}, 8)
