"""The worker loop: serve fresh rankings while annotators label, fine-tune in the background.

Design. The main thread polls the database every ``poll_seconds`` and owns
the fast tier: after every ``batch_size`` new labels (or when new examples were
imported, or when labeling paused with unused labels) it refits the head on
the cached embeddings of the current encoder and publishes a new ranking —
seconds. The slow tier runs in ONE background thread (torch releases the GIL
while it computes), started every ``finetune_every`` new labels or when
labeling has been idle for ``IDLE_SECONDS`` with labels the last fine-tune did
not see; so a fast refresh is never queued behind a fine-tune. Both publish
under ``LoopModels.lock``; a fine-tune switches the shared encoder once its
version is published, and the next fast refresh uses the new embeddings.

Every run is a row in ``jobs``; a failed job records its error and the worker
keeps serving the last good version. SIGTERM/SIGINT (or ``stop_event``) stop
the loop: a running fine-tune is cancelled at its next step. A SIGKILL loses
nothing: labels are committed by the UI, versions are published in one
transaction, and the next start marks the dead worker's jobs failed and
removes its temporary files.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from pathlib import Path

from annotator.store import jobs as job_store
from annotator.store.examples import count_examples
from annotator.store.project import Project, open_project
from annotator.store.settings import get_settings
from annotator.store.trainset import (
    eval_labeled_count,
    labels_since,
    newest_label_time,
    training_examples_per_label,
)
from annotator.stability import after_publish
from annotator.store.versions import current_version, latest_version
from annotator.model_export import measurement_due
from annotator.predictions import JOB_KIND as PREDICT_JOB
from annotator.predictions import run_predict_job
from annotator.worker.export_eval import measure_exported
from annotator.worker.finetune import NotEnoughLabels, finetune
from annotator.worker.lock import worker_lock
from annotator.worker.models import LoopModels, load_models, recover
from annotator.worker.refresh import refresh
from annotator.worker.triggers import finetune_blocker, new_training_labels
from learner.errors import TrainingCancelled

log = logging.getLogger("labelloop.worker")

IDLE_SECONDS = 30.0
RETRY_SECONDS = 60.0
PROGRESS_EVERY_S = 0.5


class JobProgress:
    """A progress callback that writes to the jobs table at most every PROGRESS_EVERY_S.

    With ``stop``, it raises TrainingCancelled once the event is set, so long
    work that reports progress (embedding a large pool) ends at its next chunk.
    """

    def __init__(self, project: Project, job_id: int, stop: threading.Event | None = None):
        self.project, self.job_id, self.stop, self._last = project, job_id, stop, 0.0

    def __call__(self, value: float, message: str) -> None:
        if self.stop is not None and self.stop.is_set():
            raise TrainingCancelled(value, 1.0)
        now = time.monotonic()
        if now - self._last >= PROGRESS_EVERY_S or value >= 1.0:
            self._last = now
            job_store.set_progress(self.project.db, self.job_id, value, message)


def run_refresh(project: Project, models: LoopModels, kind: str = "refresh",
                stop: threading.Event | None = None) -> int | None:
    """A fast refresh recorded as a job; returns the published version (None: empty pool or
    stopped). Embedding new examples reports progress and ends early once ``stop`` is set."""
    job = job_store.start_job(project.db, kind)
    progress = JobProgress(project, job, stop)
    try:
        result = refresh(project, models, progress)
    except TrainingCancelled:
        job_store.cancel_job(project.db, job, "stopped")
        log.info("%s stopped before it finished", kind)
        return None
    except Exception as error:  # noqa: BLE001 - any failure is recorded and the last version keeps serving
        job_store.fail_job(project.db, job, f"{type(error).__name__}: {error}")
        log.error("refresh failed: %s: %s", type(error).__name__, error)
        return None
    if result is None:
        job_store.finish_job(project.db, job, "empty pool")
        return None
    job_store.finish_job(project.db, job, f"published v{result.version} ({result.kind})")
    log.info("published v%s (%s) metrics=%s timings=%s", result.version, result.kind,
             {k: result.metrics[k] for k in ("accuracy", "n_eval", "n_train") if k in result.metrics},
             {k: round(v, 3) for k, v in result.timings.items()})
    after_publish(project, result.version)
    return result.version


def run_predictions(project: Project, job: dict, stop: threading.Event) -> None:
    """A claimed predictions job: write the file, record the result; a failure is recorded."""
    progress = JobProgress(project, job["id"], stop)
    try:
        summary = run_predict_job(project, job, progress)
    except TrainingCancelled:
        job_store.cancel_job(project.db, job["id"], "stopped")
        return
    except Exception as error:  # noqa: BLE001 - recorded in jobs.error for the page
        job_store.fail_job(project.db, job["id"], f"{type(error).__name__}: {error}")
        log.error("predictions failed: %s: %s", type(error).__name__, error)
        return
    job_store.finish_job(project.db, job["id"], f"{summary['rows']:,} predictions of model v{summary['version']}")


def run_finetune(project: Project, models: LoopModels, stop: threading.Event,
                 progress_extra=None) -> int | None:
    """One fine-tune recorded as a job (cancellable via ``stop`` or the UI); returns the version."""
    job = job_store.start_job(project.db, "finetune")
    progress = JobProgress(project, job)

    def report(value: float, message: str) -> None:
        progress(value, message)
        if progress_extra is not None:
            progress_extra(value, message)

    def should_stop() -> bool:
        return stop.is_set() or job_store.job_status(project.db, job) == "cancelled"

    try:
        result = finetune(project, models, progress=report, should_stop=should_stop)
    except TrainingCancelled:
        job_store.cancel_job(project.db, job)
        log.info("fine-tune cancelled")
        return None
    except NotEnoughLabels as error:
        job_store.finish_job(project.db, job, f"skipped: {error}")
        return None
    except Exception as error:  # noqa: BLE001 - recorded in jobs.error; the last good version keeps serving
        job_store.fail_job(project.db, job, f"{type(error).__name__}: {error}")
        log.error("fine-tune failed: %s: %s", type(error).__name__, error)
        return None
    job_store.finish_job(project.db, job, f"published v{result.version} (finetune)")
    log.info("published v%s (finetune) train %.1fs score %.1fs metrics=%s", result.version, result.train_s,
             result.score_s, {k: result.metrics[k] for k in ("accuracy", "n_eval", "n_train") if k in result.metrics})
    return result.version


class Worker:
    """The loop of :func:`run_worker`; see the module docstring."""

    def __init__(self, project: Project, models: LoopModels, stop: threading.Event, poll_seconds: float):
        self.project, self.models, self.stop, self.poll_seconds = project, models, stop, poll_seconds
        self._thread: threading.Thread | None = None
        self._refresh_failed: tuple[int, float] | None = None
        self._finetune_tried: tuple[int, float] | None = None
        self._measured: tuple[int, int] | None = None

    def refresh_due(self) -> bool:
        db = self.project.db
        version = current_version(db)
        if version is None or version["encoder_version"] is None:
            return True  # nothing yet, or the queue's own random cold start
        if count_examples(db) != version["n_scored"]:
            return True
        new = new_training_labels(db, version)
        if new == 0:
            return False
        if self._refresh_failed and labels_since(db, 0) <= self._refresh_failed[0] \
                and time.time() - self._refresh_failed[1] < RETRY_SECONDS:
            return False
        if new >= self.models.settings["batch_size"]:
            return True
        newest = newest_label_time(db) or 0.0
        return time.time() - newest >= IDLE_SECONDS

    def finetune_due(self) -> bool:
        db = self.project.db
        new = new_training_labels(db, latest_version(db, "finetune"))
        if new == 0 or finetune_blocker(training_examples_per_label(db),
                                        self.models.settings["finetune_min_per_class"]) is not None:
            return False
        if self._finetune_tried and new <= self._finetune_tried[0] \
                and time.time() - self._finetune_tried[1] < RETRY_SECONDS:
            return False
        if new >= self.models.settings["finetune_every"]:
            return True
        newest = newest_label_time(db) or 0.0
        return time.time() - newest >= IDLE_SECONDS

    def finetune_due_now(self) -> bool:
        """Labels the last fine-tune did not see exist and the minimum is met (no waiting for more)."""
        db = self.project.db
        return bool(new_training_labels(db, latest_version(db, "finetune"))) and finetune_blocker(
            training_examples_per_label(db), self.models.settings["finetune_min_per_class"]) is None

    def start_finetune(self) -> None:
        new = new_training_labels(self.project.db, latest_version(self.project.db, "finetune"))
        self._finetune_tried = (new, time.time())
        self._thread = threading.Thread(target=self._finetune_thread, name="labelloop-finetune", daemon=True)
        self._thread.start()

    def _finetune_thread(self) -> None:
        project = open_project(self.project.path)
        try:
            run_finetune(project, self.models, self.stop)
        finally:
            project.close()

    def finetune_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def step(self) -> None:
        """One poll: maybe a fast refresh, maybe start a background fine-tune; when neither was
        due, measure the current version's exported model on the evaluation set if not done yet."""
        self.models.settings = get_settings(self.project.db)
        busy = False
        if self.refresh_due():
            busy = True
            before = labels_since(self.project.db, 0)
            if run_refresh(self.project, self.models, stop=self.stop) is None:
                self._refresh_failed = (before, time.time())
        if not self.finetune_running() and self.finetune_due():
            busy = True
            self.start_finetune()
        if not self.finetune_running():
            busy = self.start_queued_job() or busy
        if not busy:
            self.measure_export()

    def start_queued_job(self) -> bool:
        """Run a job a page queued (pool predictions) in the background thread; True if one started."""
        job = job_store.claim_queued_job(self.project.db, PREDICT_JOB)
        if job is None:
            return False
        self._thread = threading.Thread(target=self._predict_thread, args=(job,), name="labelloop-predict",
                                        daemon=True)
        self._thread.start()
        return True

    def _predict_thread(self, job: dict) -> None:
        project = open_project(self.project.path)
        try:
            run_predictions(project, job, self.stop)
        finally:
            project.close()

    def measure_export(self) -> None:
        """Score the current version's exported artifact on the evaluation set (once per version
        and evaluation-set size; a failure is logged and not retried for that version)."""
        version = measurement_due(self.project)
        attempt = (version, eval_labeled_count(self.project.db))
        if version is None or self._measured == attempt:
            return
        self._measured = attempt
        try:
            summary = measure_exported(self.project, version)
        except Exception as error:  # noqa: BLE001 - the model keeps serving; the figure stays unmeasured
            log.error("measuring the exported model of v%s failed: %s: %s", version, type(error).__name__, error)
            return
        log.info("exported model v%s measured: accuracy %s on %s evaluation texts", summary["version"],
                 summary["accuracy"], summary["n_eval"])

    def run(self) -> None:
        while not self.stop.is_set():
            self.step()
            self.stop.wait(self.poll_seconds)
        if self._thread is not None:
            self._thread.join()


def run_worker(
    project_dir: str | Path,
    *,
    once: bool = False,
    poll_seconds: float = 1.0,
    stop_event: threading.Event | None = None,
) -> None:
    """Run the worker on a project until stopped (or one pass with ``once``).

    ``once``: embed and rank the pool, then fine-tune in the foreground if
    labels the last fine-tune did not see exist, and return.
    """
    stop = stop_event or threading.Event()
    with worker_lock(project_dir):
        project = open_project(project_dir, check_same_thread=False)
        previous = _install_signals(stop)
        try:
            recovered = recover(project)
            if recovered:
                log.info("recovered: %d stale job(s) marked failed, %d temporary file(s) removed",
                         recovered.stale_jobs, len(recovered.removed))
                for line in recovered.quarantined:
                    log.error("%s", line)
            models = load_models(project)
            run_refresh(project, models, kind="embed", stop=stop)
            if stop.is_set():
                return
            worker = Worker(project, models, stop, poll_seconds)
            if once:
                if worker.finetune_due_now():
                    run_finetune(project, models, stop)
                return
            worker.run()
        finally:
            _restore_signals(previous)
            project.close()


def _install_signals(stop: threading.Event) -> dict:
    if threading.current_thread() is not threading.main_thread():
        return {}
    previous = {}
    for number in (signal.SIGTERM, signal.SIGINT):
        previous[number] = signal.signal(number, lambda signum, frame: stop.set())
    return previous


def _restore_signals(previous: dict) -> None:
    for number, handler in previous.items():
        signal.signal(number, handler)
