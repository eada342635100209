"""annotator.worker.loop in this process with the tiny BERT: a fine-tune recorded as jobs, a failed job that
keeps the last version, a stop during the first embedding."""

from __future__ import annotations

import numpy as np

from annotator.services import queue
from annotator.services.settings import set_settings
from annotator.services.training.embeddings import load_embeddings
from annotator.store import jobs as job_store
from annotator.store.versions import current_version, list_versions
from tests.helpers.pool import add_pool, gold_rows, label_some


def test_worker_once_fine_tunes_and_records_jobs(project, tmp_path, tiny_model_dir):
    from annotator.worker.loop import run_worker

    set_settings(project.db, model=str(tiny_model_dir), finetune_min_per_class=2)
    rows = gold_rows(40)
    add_pool(project, tmp_path, rows)
    held_out = [{"text": f"held out {w} example", "label": label}
                for w, label in (("good", "pos"), ("bad", "neg"), ("table", "neutral"))]
    add_pool(project, tmp_path, held_out, eval_set=True, name="eval")
    label_some(project, rows + held_out, 12)
    run_worker(project.path, once=True)
    version = current_version(project.db)
    assert version["kind"] == "finetune" and version["encoder_version"] == version["version"]
    kinds = {(job["kind"], job["status"]) for job in
             map(lambda r: job_store.get_job(project.db, r[0]), project.db.execute("SELECT id FROM jobs"))}
    assert kinds == {("embed", "done"), ("finetune", "done")}
    assert load_embeddings(project.path, version["version"])[1].shape[0] == 43
    assert version["metrics"]["n_eval"] == 2 and 0.0 <= version["metrics"]["accuracy"] <= 1.0
    assert np.asarray(version["metrics"]["confusion"]).sum() == 2
    status = queue.queue_status(project)
    assert status["finetune_version"] == version["version"] and status["labels_since_finetune"] == 0


def test_failed_job_records_error_and_keeps_last_version(project, tmp_path, tiny_model_dir):
    from annotator.worker.loop import run_worker

    set_settings(project.db, model=str(tiny_model_dir), finetune_min_per_class=2)
    rows = gold_rows(30)
    add_pool(project, tmp_path, rows)
    label_some(project, rows, 10)
    run_worker(project.path, once=True)
    good = current_version(project.db)["version"]
    set_settings(project.db, model=str(tmp_path / "no-such-model"), warm_start=False)
    label_some(project, rows, 3)
    run_worker(project.path, once=True)
    failed = job_store.latest_job(project.db, "finetune")
    assert failed["status"] == "failed" and "no-such-model" in failed["error"]
    assert queue.queue_status(project)["last_error"] == failed["error"]
    # the worker kept serving the last good encoder: its head refresh published on top of it
    assert current_version(project.db)["encoder_version"] == good
    assert queue.next_item(project, "other") is not None


def test_a_stop_during_the_first_embedding_ends_the_worker_at_the_next_chunk(project, tmp_path, tiny_model_dir):
    """SIGTERM sets the stop event; the embed job then ends at its next progress report."""
    import threading

    from annotator.worker.loop import run_worker

    set_settings(project.db, model=str(tiny_model_dir))
    add_pool(project, tmp_path, gold_rows(40))
    stop = threading.Event()
    stop.set()
    run_worker(project.path, stop_event=stop)  # returns instead of looping
    job = job_store.latest_job(project.db, "embed")
    assert job["status"] == "cancelled" and job["message"] == "stopped"
    # the seeded random ranking published at once is all there is: no k-means or model ranking
    assert [(v["kind"], v["strategy"]) for v in list_versions(project.db)] == [("coldstart", "random")]
    run_worker(project.path, once=True)  # the next start embeds and ranks as usual
    assert current_version(project.db) is not None
