"""The steps every fine-tune takes, whatever the project's kind (single labels: :mod:`.finetune`,
label sets: :mod:`.label_set_finetune`): train the transformer (warm or from the base model), save it
to ``models/.pending-<pid>`` and run it over the pool once (probabilities and embeddings, on the
worker's scoring engine), then publish the version atomically: inside the publishing transaction the
folder is renamed to ``models/vN`` and the embeddings to ``enc_vN/``, and the worker's models switch
to the new encoder. A kill anywhere before the commit leaves only temporary or unpublished files that
:func:`annotator.services.training.models.remove_orphans` deletes.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from annotator.config import Settings
from annotator.services.training.embeddings import embeddings_path
from annotator.services.training.models import PENDING_PREFIX, LoopModels, device_of, model_dir, new_classifier
from annotator.services.training.pool_engines import finetuned_spec
from annotator.services.training.pool_scoring import EmbeddedPool, embed_pool
from annotator.services.training.refresh import Snapshot
from annotator.services.versions import publish
from annotator.store.project import Project
from annotator.store.versions import StoredHead, latest_version
from learner.classifier import TransformerClassifier
from learner.errors import TrainingCancelled
from learner.folders import replace_folder

TRAIN_SHARE = 0.6  # progress bar: training is 0..0.6, scoring the pool 0.6..1

Progress = Callable[[float, str], None]


class NotEnoughLabels(Exception):
    """Fewer than two labels have ``finetune_min_per_class`` training examples: no fine-tune yet."""


@dataclass
class FinetuneResult:
    version: int
    classifier: TransformerClassifier
    head: Any  # the version's predictor: an EmbeddingHead, or a MultiLabelHead for label sets
    metrics: dict[str, Any]
    train_s: float
    score_s: float


@dataclass
class Trained:
    """A trained classifier saved to ``pending`` and its pass over the pool (``embed_s``: saving and
    the pass, seconds)."""

    classifier: TransformerClassifier
    warm: bool
    train_s: float
    pending: Path
    pool: EmbeddedPool
    embed_s: float


def start_classifier(project: Project, settings: Settings, classes: list[str], *,
                     multi_label: bool = False) -> TransformerClassifier:
    """The newest fine-tuned version's classifier when ``warm_start`` is on and it has the same labels
    (and kind), else an unfitted one over the base model."""
    previous = latest_version(project.db, "finetune")
    if settings.warm_start and previous is not None and model_dir(project, previous["version"]).is_dir():
        clf = TransformerClassifier.load(model_dir(project, previous["version"]), device=device_of(settings))
        if [str(c) for c in clf.classes_] == list(classes) and clf.multi_label_ == multi_label:
            clf.set_params(epochs=settings.epochs, max_length=settings.max_length,
                           min_steps=settings.finetune_min_steps, objective=settings.finetune_objective)
            return clf
    return new_classifier(settings, classes)


def train_and_embed(project: Project, models: LoopModels, snap: Snapshot, texts: list[str], labels: Any,
                    report: Progress, should_stop: Callable[[], bool] | None, *,
                    multi_label: bool = False) -> Trained:
    """Train on ``texts`` and ``labels`` (names, or label sets), save to a pending folder and run the
    result over the snapshot's pool (probabilities and embeddings). Cancellable between training
    steps and between scoring chunks (the pending files are removed)."""
    settings = snap.settings
    clf = start_classifier(project, settings, snap.classes, multi_label=multi_label)
    warm = clf.__sklearn_is_fitted__()

    def on_step(info: dict[str, Any]) -> None:
        report(TRAIN_SHARE * info["step"] / max(info["total"], 1),
               f"training epoch {info['epoch']}/{info['epochs']} step {info['step']}/{info['total']}")

    started = time.perf_counter()
    report(0.0, f"training on {len(texts)} labels ({'warm start' if warm else 'from the base model'})")
    if warm:
        clf.partial_fit(texts, labels, callback=on_step, should_stop=should_stop)
    else:
        clf.fit(texts, labels, callback=on_step, should_stop=should_stop)
    train_s = time.perf_counter() - started

    started = time.perf_counter()
    pending = project.models_dir / f"{PENDING_PREFIX}{os.getpid()}"
    shutil.rmtree(pending, ignore_errors=True)
    clf.save(pending)
    try:  # the pool's forward pass, on the worker's scoring engine (local unless --score-engine ray)
        embedded = embed_pool(project, finetuned_spec(pending, settings), models.pool_engine, want_proba=True,
                              last_id=snap.ids[-1] if snap.ids else 0, loaded=clf,
                              progress=lambda value, _: report(TRAIN_SHARE + (1 - TRAIN_SHARE) * value,
                                                               "scoring the pool"),
                              should_stop=should_stop)
    except TrainingCancelled:
        shutil.rmtree(pending, ignore_errors=True)
        raise
    if not np.array_equal(embedded.ids, snap.ids):  # examples are never deleted: cannot happen
        shutil.rmtree(embedded.folder, ignore_errors=True)
        raise RuntimeError("the pool changed while it was scored")
    return Trained(clf, warm, train_s, pending, embedded, time.perf_counter() - started)


def publish_finetuned(project: Project, models: LoopModels, trained: Trained, *, head: StoredHead,
                      predictions: tuple | None = None, **version: Any) -> int:
    """Publish the ``finetune`` version (``version``: :func:`annotator.services.versions.publish`'s
    strategy, scores, n_ranked, n_labels, watermark, metrics), moving the pending model and
    embeddings into place in its transaction; the worker's models switch to the new encoder, and
    keep ``predictions`` for the next version's stopping signal."""

    def prepare(number: int) -> str:
        target = model_dir(project, number)
        if target.exists():  # left by a worker killed while publishing: never published
            shutil.rmtree(target)
        os.replace(trained.pending, target)
        replace_folder(trained.pool.folder, embeddings_path(project.path, number))
        return f"{project.models_dir.name}/{target.name}"

    with models.lock:
        number = publish(project, kind="finetune", own_encoder=True, prepare=prepare, head=head, **version)
        models.switch_encoder(trained.classifier, number)
        models.last_predictions = None if predictions is None else (number, predictions)
    return number
