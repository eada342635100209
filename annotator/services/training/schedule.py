"""The learning loop's schedule: when to refresh, fine-tune, measure the export, run a queued job.

The main thread polls the database every ``poll_seconds`` and owns the fast
tier: after every ``batch_size`` new training labels (or when new examples
were imported, or when labeling paused with unused labels) it refits the head
on the cached embeddings of the current encoder and publishes a new ranking —
seconds. The slow tier runs in ONE background thread (torch releases the GIL
while it computes), started every ``finetune_every`` new training labels or
when labeling has been idle for ``IDLE_SECONDS`` with labels the last
fine-tune did not see, once the fine-tune minimum is met; so a fast refresh
is never queued behind a fine-tune. The same thread runs jobs a page queued
(predictions of the pool). Both tiers publish under ``LoopModels.lock``; a
fine-tune switches the shared encoder once its version is published.

Every run is a job (:mod:`annotator.services.training.jobs`). ``stop`` ends the
loop: a running fine-tune is cancelled at its next step.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

from annotator.services.model_export import measurement_due
from annotator.services.predictions import JOB_KIND as PREDICT_JOB
from annotator.services.projects import open_project
from annotator.services.ranking import publish_random_ranking
from annotator.services.settings import get_settings
from annotator.services.training.explore_work import ExploreWork
from annotator.services.training.export_eval import measure_exported
from annotator.services.training.jobs import run_finetune, run_predictions, run_refresh
from annotator.services.training.models import LoopModels, load_models, recover
from annotator.services.training.triggers import blocker_now, new_training_labels
from annotator.store import jobs as job_store
from annotator.store.examples import count_examples
from annotator.store.project import Project
from annotator.store.trainset import (
    eval_labeled_count,
    labels_since,
    newest_label_time,
)
from annotator.store.versions import append_scores, current_version, latest_version, prune_scores

log = logging.getLogger("labelloop.worker")

IDLE_SECONDS = 30.0
CATCH_UP_SECONDS = 0.5
RETRY_SECONDS = 60.0


class LearningLoop:
    """The schedule (see the module docstring); :meth:`start` recovers, loads and embeds first."""

    def __init__(self, project: Project, models: LoopModels, stop: threading.Event, poll_seconds: float):
        self.project, self.models, self.stop, self.poll_seconds = project, models, stop, poll_seconds
        self._thread: threading.Thread | None = None
        self._refresh_failed: tuple[int, float] | None = None
        self._finetune_tried: tuple[int, float] | None = None
        self._measured: tuple[int, int] | None = None
        self.explore = ExploreWork(project)  # the Explore page's typed queries and embedding map
        self._tail: tuple[int, Iterator] | None = None  # (version, the rest of its ranking, in chunks)

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
        if new >= self.models.settings.batch_size:
            return True
        newest = newest_label_time(db) or 0.0
        return time.time() - newest >= IDLE_SECONDS

    def finetune_due(self) -> bool:
        db = self.project.db
        new = new_training_labels(db, latest_version(db, "finetune"))
        if new == 0 or blocker_now(db, self.models.settings.finetune_min_per_class) is not None:
            return False
        if self._finetune_tried and new <= self._finetune_tried[0] \
                and time.time() - self._finetune_tried[1] < RETRY_SECONDS:
            return False
        if new >= self.models.settings.finetune_every:
            return True
        newest = newest_label_time(db) or 0.0
        return time.time() - newest >= IDLE_SECONDS

    def finetune_due_now(self) -> bool:
        """Labels the last fine-tune did not see exist and the minimum is met (no waiting for more)."""
        db = self.project.db
        return bool(new_training_labels(db, latest_version(db, "finetune"))) and blocker_now(
            db, self.models.settings.finetune_min_per_class) is None

    def start_finetune(self) -> None:
        new = new_training_labels(self.project.db, latest_version(self.project.db, "finetune"))
        self._finetune_tried = (new, time.time())
        self._thread = threading.Thread(target=self._finetune_thread, name="labelloop-finetune", daemon=True)
        self._thread.start()

    def _finetune_thread(self) -> None:
        project = open_project(self.project.path)
        try:
            run_finetune(project, self.models, stop=self.stop)
        finally:
            project.close()

    def finetune_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def step(self) -> None:
        """One poll: maybe a fast refresh, maybe start a background fine-tune; when neither was
        due, measure the current version's exported model on the evaluation set if not done yet."""
        self.models.settings = get_settings(self.project.db)
        self.explore.answer(self.models)
        busy = False
        if self.refresh_due():
            busy = True
            before = labels_since(self.project.db, 0)
            result = run_refresh(self.project, self.models, stop=self.stop)
            if result is None:
                self._refresh_failed = (before, time.time())
            elif result.tail is not None:
                self._tail = (result.version, result.tail)
        if not self.finetune_running() and self.finetune_due():
            busy = True
            self.start_finetune()
        if not self.finetune_running():
            busy = self.start_queued_job() or busy
        busy = self.explore.start_map(idle=not busy and not self.finetune_running()) or busy
        if not busy:
            self.catch_up()
            self.measure_export()

    def catch_up(self, budget_s: float = CATCH_UP_SECONDS) -> None:
        """Idle work of a large pool, a little per poll: write the rest of the current ranking (its
        best rows were published at once) and prune old versions' scores."""
        started = time.perf_counter()
        while self._tail is not None and time.perf_counter() - started < budget_s:
            version, chunks = self._tail
            chunk = next(chunks, None)
            if chunk is None or not append_scores(self.project.db, version, chunk):
                self._tail = None
        if self._tail is None and time.perf_counter() - started < budget_s:
            prune_scores(self.project.db, budget_s=budget_s)

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
        self.explore.join()




def start(project: Project, stop: threading.Event, poll_seconds: float = 1.0,
          pool_engine: object | None = None) -> LearningLoop | None:
    """Recover from a previous run, load the newest sound encoder, embed and rank the pool; the loop
    ready to run (None when ``stop`` was set meanwhile). Call while holding the worker lock.
    ``pool_engine``: where fine-tunes run their pass over the pool (None: this process)."""
    recovered = recover(project)
    if recovered:
        log.info("recovered: %d stale job(s) marked failed, %d temporary file(s) removed",
                 recovered.stale_jobs, len(recovered.removed))
        for line in recovered.quarantined:
            log.error("%s", line)
    publish_random_ranking(project)  # the queue's order while the pool is embedded (seconds, no model)
    models = load_models(project)
    models.pool_engine = pool_engine
    result = run_refresh(project, models, kind="embed", stop=stop)
    if stop.is_set():
        return None
    loop = LearningLoop(project, models, stop, poll_seconds)
    if result is not None and result.tail is not None:
        loop._tail = (result.version, result.tail)
    return loop


def run_once(loop: LearningLoop) -> None:
    """Fine-tune in the foreground if labels the last fine-tune did not see exist and the minimum is met."""
    if loop.finetune_due_now():
        run_finetune(loop.project, loop.models, stop=loop.stop)
