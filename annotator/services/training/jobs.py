"""Each unit of the worker's work as a row of ``jobs``: refresh, fine-tune, predictions.

One place decides how a run is recorded, whoever starts it (the worker loop or
``labelloop train``): a run is a job; progress is written at most every
``PROGRESS_EVERY_S``; a stop request ends it at its next progress report or
training step (``cancelled``); too few labels for a fine-tune is ``skipped``
(done, with the reason); any other failure is ``failed`` with its error, and
the last good version keeps serving. With ``reraise`` the caller gets the
failure too (a command in the foreground); otherwise it is logged.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from annotator.services.predictions import run_predict_job
from annotator.services.training.finetune import FinetuneResult, NotEnoughLabels, finetune
from annotator.services.training.models import LoopModels
from annotator.services.training.refresh import HeadResult, refresh
from annotator.store import jobs as job_store
from annotator.store.project import Project
from learner.errors import TrainingCancelled

log = logging.getLogger("labelloop.worker")

PROGRESS_EVERY_S = 0.5
Progress = Callable[[float, str], None]


class JobProgress:
    """A progress callback that writes to the jobs table at most every PROGRESS_EVERY_S.

    With ``stop``, it raises TrainingCancelled once the event is set, so long
    work that reports progress (embedding a large pool) ends at its next report.
    ``also`` is called with every report (a command's progress bar).
    """

    def __init__(self, project: Project, job_id: int, stop: threading.Event | None = None,
                 also: Progress | None = None):
        self.project, self.job_id, self.stop, self.also, self._last = project, job_id, stop, also, 0.0

    def __call__(self, value: float, message: str) -> None:
        if self.stop is not None and self.stop.is_set():
            raise TrainingCancelled(value, 1.0)
        if self.also is not None:
            self.also(value, message)
        now = time.monotonic()
        if now - self._last >= PROGRESS_EVERY_S or value >= 1.0:
            self._last = now
            job_store.set_progress(self.project.db, self.job_id, value, message)


def _failed(project: Project, job: int, what: str, error: BaseException) -> None:
    job_store.fail_job(project.db, job, f"{type(error).__name__}: {error}")
    log.error("%s failed: %s: %s", what, type(error).__name__, error)


def run_refresh(project: Project, models: LoopModels, kind: str = "refresh",
                stop: threading.Event | None = None) -> HeadResult | None:
    """A fast refresh as a job; what it published (None: empty pool, stopped or failed)."""
    job = job_store.start_job(project.db, kind)
    try:
        result = refresh(project, models, JobProgress(project, job, stop))
    except TrainingCancelled:
        job_store.cancel_job(project.db, job, "stopped")
        log.info("%s stopped before it finished", kind)
        return None
    except Exception as error:  # noqa: BLE001 - recorded; the last version keeps serving
        _failed(project, job, kind, error)
        return None
    if result is None:
        job_store.finish_job(project.db, job, "empty pool")
        return None
    job_store.finish_job(project.db, job, f"published v{result.version} ({result.kind})")
    log.info("published v%s (%s) metrics=%s timings=%s", result.version, result.kind,
             {k: result.metrics[k] for k in ("accuracy", "n_eval", "n_train") if k in result.metrics},
             {k: round(v, 3) for k, v in result.timings.items()})
    return result


def run_finetune(project: Project, models: LoopModels, *, stop: threading.Event | None = None,
                 progress: Progress | None = None, message: str | None = None,
                 reraise: bool = False) -> FinetuneResult | None:
    """One fine-tune as a job, cancellable by ``stop``; the result, or None when skipped (too few
    labels), cancelled or failed (re-raised with ``reraise``)."""
    job = job_store.start_job(project.db, "finetune", message)

    def should_stop() -> bool:
        return stop is not None and stop.is_set()

    try:
        result = finetune(project, models, progress=JobProgress(project, job, also=progress), should_stop=should_stop)
    except TrainingCancelled:
        job_store.cancel_job(project.db, job)
        log.info("fine-tune cancelled")
        if reraise:
            raise
        return None
    except NotEnoughLabels as error:
        job_store.finish_job(project.db, job, f"skipped: {error}")
        if reraise:
            raise
        return None
    except Exception as error:  # noqa: BLE001 - recorded; the last good version keeps serving
        _failed(project, job, "fine-tune", error)
        if reraise:
            raise
        return None
    job_store.finish_job(project.db, job, f"published v{result.version} (finetune)")
    log.info("published v%s (finetune) train %.1fs score %.1fs metrics=%s", result.version, result.train_s,
             result.score_s, {k: result.metrics[k] for k in ("accuracy", "n_eval", "n_train") if k in result.metrics})
    return result


def run_predictions(project: Project, job: dict, stop: threading.Event | None = None) -> None:
    """A claimed predictions job (queued by a page): write the file, record the result."""
    try:
        summary = run_predict_job(project, job, JobProgress(project, job["id"], stop))
    except TrainingCancelled:
        job_store.cancel_job(project.db, job["id"], "stopped")
        return
    except Exception as error:  # noqa: BLE001 - recorded in jobs.error for the page
        _failed(project, job["id"], "predictions", error)
        return
    job_store.finish_job(project.db, job["id"], f"{summary['rows']:,} predictions of model v{summary['version']}")
