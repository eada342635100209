"""The worker's models in memory: the current encoder, its pool embeddings, the settings.

``encoder_version`` is the fine-tuned version whose encoder embeds the pool
(0 = the base model named by the ``model`` setting). Imports torch.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from annotator.config import Settings
from annotator.services.integrity import folder_problem
from annotator.services.labelset import get_labels
from annotator.services.settings import get_settings
from annotator.services.training.embeddings import cached_versions, ensure_embeddings, remove_temporary
from annotator.store import jobs as job_store
from annotator.store.project import Project
from annotator.store.versions import discard_unpublished, latest_version, list_versions, quarantine_version
from learner.classifier import TransformerClassifier
from learner.errors import ModelLoadError
from learner.linear_head import RowStats, row_stats

PENDING_PREFIX = ".pending-"
QUARANTINE_DIRNAME = "quarantine"
EMBED_CHUNK = 512


def device_of(settings: Settings) -> str | None:
    """The ``device`` setting for the learner: 'auto' -> None (CUDA when available)."""
    return None if settings.device in ("", "auto") else settings.device


def new_classifier(settings: Settings, classes: list[str]) -> TransformerClassifier:
    """An unfitted classifier over the base model, from the project settings."""
    return TransformerClassifier(
        model=settings.model,
        classes=classes,
        max_length=settings.max_length,
        epochs=settings.epochs,
        min_steps=settings.finetune_min_steps,
        objective=settings.finetune_objective,
        device=device_of(settings),
        seed=settings.seed,
    )


def model_dir(project: Project, version: int) -> Path:
    return project.models_dir / f"v{int(version)}"


@dataclass
class LoopModels:
    """The encoder that embeds the pool now, shared by the fast tier and evaluation.

    ``lock`` serialises "compute a ranking and publish it" between the fast
    refresh and a background fine-tune, so a refresh never publishes a ranking
    made with an encoder older than the newest published one.
    """

    project_dir: Path
    settings: Settings
    classes: list[str]
    encoder: TransformerClassifier
    encoder_version: int = 0
    lock: threading.RLock = field(default_factory=threading.RLock)
    # The last published version's predictions: (version, (ids, predicted class indices, classes)),
    # for the stopping signal of the next one (annotator.services.stability.change_between).
    last_predictions: tuple[int, tuple] | None = None
    # The engine of a fine-tune's pass over the pool (pool_engines: None = local, or a Ray cluster's).
    pool_engine: object | None = None
    # The pool vectors' row statistics, (encoder version, rows) -> RowStats, kept between refreshes.
    _row_stats: tuple[tuple[int, int], RowStats] | None = field(default=None, repr=False, compare=False)

    def pool_row_stats(self, X: np.ndarray) -> RowStats:
        """The :class:`~learner.linear_head.RowStats` of the pool's vectors ``X`` by the current
        encoder: computed once per encoder and pool size (texts are only ever added, in id order),
        so a refresh at a million texts scores the pool with one product per chunk."""
        key = (self.encoder_version, len(X))
        if self._row_stats is None or self._row_stats[0] != key:
            self._row_stats = (key, row_stats(X))
        return self._row_stats[1]

    def pool_embeddings(
        self, ids, texts, progress: Callable[[float, str], None] | None = None
    ) -> np.ndarray:
        """Embeddings of ``ids`` by the current encoder; only uncached examples are embedded. ``texts``
        are the texts of ``ids``, or a function giving the texts of the ids it is passed."""

        def embed(batch: list[str]) -> np.ndarray:
            parts = []
            for start in range(0, len(batch), EMBED_CHUNK):
                def report(done: int, _total: int, start: int = start) -> None:
                    # after every inference batch: a stop requested meanwhile ends the work here
                    if progress is not None:
                        progress((start + done) / len(batch), f"embedding {len(batch)} examples")

                parts.append(self.encoder.embed(batch[start:start + EMBED_CHUNK], callback=report))
            return np.concatenate(parts)

        return ensure_embeddings(self.project_dir, self.encoder_version, ids, texts, embed)

    def switch_encoder(self, encoder: TransformerClassifier, version: int) -> None:
        with self.lock:
            self.encoder, self.encoder_version = encoder, version


def load_models(project: Project) -> LoopModels:
    """The newest sound fine-tuned version's classifier, or the base model before any fine-tune.

    A version whose folder cannot be loaded (files damaged in a way no checksum recorded) is
    quarantined like one that fails its checksums, and the next older one is tried.
    """
    settings = get_settings(project.db)
    classes = get_labels(project.db)
    while (finetuned := latest_version(project.db, "finetune")) is not None:
        try:
            encoder = TransformerClassifier.load(model_dir(project, finetuned["version"]), device=device_of(settings))
        except ModelLoadError as error:
            _quarantine(project, finetuned["version"], f"cannot be loaded: {str(error).splitlines()[0][:200]}")
            continue
        return LoopModels(project.path, settings, classes, encoder, finetuned["version"])
    return LoopModels(project.path, settings, classes, new_classifier(settings, classes), 0)


@dataclass
class Recovery:
    """What a start found and put right: stale jobs, leftover files, damaged fine-tuned versions."""

    stale_jobs: int = 0
    removed: list[str] = field(default_factory=list)
    quarantined: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.stale_jobs or self.removed or self.quarantined)


def recover(project: Project) -> Recovery:
    """Everything a worker, ``labelloop train`` or ``simulate`` does before its first step, once:
    mark a dead worker's jobs failed, delete what it left half-written, and quarantine fine-tuned
    versions whose files are gone or fail their checksums. Call only while holding the worker lock."""
    return Recovery(job_store.fail_stale_jobs(project.db), remove_orphans(project), quarantine_damaged(project))


def quarantine_damaged(project: Project) -> list[str]:
    """Check the fine-tuned versions newest first, up to the first sound one; quarantine each damaged
    one (its folder moves to ``models/quarantine/``) and record why as a failed ``verify`` job, which
    the status panel and the Export page show. Returns one line per quarantined version."""
    found = []
    for version in reversed(list_versions(project.db)):
        if version["kind"] != "finetune" or version["quarantined"]:
            continue
        problem = folder_problem(model_dir(project, version["version"]),
                                 (version["metrics"] or {}).get("checksums"))
        if problem is None:
            break
        found.append(_quarantine(project, version["version"], problem))
    return found


def _quarantine(project: Project, version: int, problem: str) -> str:
    """Move a version's folder aside, mark it quarantined, record the reason as a failed job."""
    reason = f"model files of version {version} are unusable: {problem}; quarantined"
    folder = model_dir(project, version)
    if folder.exists():
        target = project.models_dir / QUARANTINE_DIRNAME / f"v{version}-{int(time.time())}"
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(folder, target)
    quarantine_version(project.db, version, problem)
    job = job_store.start_job(project.db, "verify")
    job_store.fail_job(project.db, job, reason)
    return reason


def remove_orphans(project: Project) -> list[str]:
    """Delete what a killed worker left: temporary model folders, unpublished ``models/vN``
    folders and embeddings of unpublished encoders. Call only while holding the worker lock."""
    removed: list[str] = [f"staging version {v}" for v in discard_unpublished(project.db)]
    published = {v["version"] for v in list_versions(project.db) if v["kind"] == "finetune"}
    if project.models_dir.is_dir():
        for entry in project.models_dir.iterdir():
            orphan = entry.name.startswith(".") or (
                entry.name.startswith("v") and entry.name[1:].isdigit() and int(entry.name[1:]) not in published
            )
            if orphan:
                shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink(missing_ok=True)
                removed.append(str(entry))
    remove_temporary(project.path)
    for number, entry in cached_versions(project.path).items():
        if number != 0 and number not in published:
            shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink(missing_ok=True)
            removed.append(str(entry))
    return removed
