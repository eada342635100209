"""One fine-tune cycle in the foreground (``labelloop train``)."""

from __future__ import annotations

import threading
from pathlib import Path

from annotator.errors import ProjectError
from annotator.store import jobs as job_store
from annotator.store.project import open_project
from annotator.store.settings import get_settings
from annotator.store.trainset import training_examples_per_label
from annotator.worker.finetune import FinetuneResult, NotEnoughLabels, Progress, finetune
from annotator.worker.lock import worker_lock
from annotator.worker.loop import JobProgress
from annotator.worker.models import load_models, recover
from annotator.worker.triggers import finetune_blocker
from learner.errors import TrainingCancelled


def train_once(project_dir: str | Path, progress: Progress | None = None,
               stop: threading.Event | None = None) -> FinetuneResult:
    """Fine-tune, publish and return the new version; holds the worker lock meanwhile."""
    with worker_lock(project_dir):
        with open_project(project_dir) as project:
            blocker = finetune_blocker(training_examples_per_label(project.db),
                                       get_settings(project.db)["finetune_min_per_class"])
            if blocker is not None:
                raise ProjectError(blocker)
            recover(project)
            models = load_models(project)
            job = job_store.start_job(project.db, "finetune", "labelloop train")
            recorder = JobProgress(project, job)

            def report(value: float, message: str) -> None:
                recorder(value, message)
                if progress is not None:
                    progress(value, message)

            try:
                result = finetune(project, models, progress=report,
                                  should_stop=(lambda: stop.is_set()) if stop is not None else None)
            except NotEnoughLabels as error:
                job_store.fail_job(project.db, job, str(error))
                raise ProjectError(str(error)) from None
            except TrainingCancelled:
                job_store.cancel_job(project.db, job)
                raise
            except BaseException as error:
                job_store.fail_job(project.db, job, f"{type(error).__name__}: {error}")
                raise
            job_store.finish_job(project.db, job, f"published v{result.version} (finetune)")
            return result
