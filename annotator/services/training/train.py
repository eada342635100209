"""One fine-tune cycle in the foreground (``labelloop train``)."""

from __future__ import annotations

import threading
from pathlib import Path

from annotator.errors import ProjectError
from annotator.services.projects import open_project
from annotator.services.settings import get_settings
from annotator.services.training.finetune import FinetuneResult, NotEnoughLabels, Progress
from annotator.services.training.jobs import run_finetune
from annotator.services.training.lock import worker_lock
from annotator.services.training.models import load_models, recover
from annotator.services.training.triggers import blocker_now


def train_once(project_dir: str | Path, progress: Progress | None = None,
               stop: threading.Event | None = None) -> FinetuneResult:
    """Fine-tune, publish and return the new version; holds the worker lock meanwhile.

    Below the fine-tune minimum it refuses (one line) before anything is recorded.
    """
    with worker_lock(project_dir):
        with open_project(project_dir) as project:
            blocker = blocker_now(project.db, get_settings(project.db).finetune_min_per_class)
            if blocker is not None:
                raise ProjectError(blocker)
            recover(project)
            models = load_models(project)
            try:
                return run_finetune(project, models, stop=stop, progress=progress, message="labelloop train",
                                    reraise=True)
            except NotEnoughLabels as error:  # labels changed between the check and the snapshot
                raise ProjectError(str(error)) from None
