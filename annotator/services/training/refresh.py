"""Fast tier: a light head on cached pool embeddings re-ranks the queue in seconds.

Also publishes the cold-start ranking (k-means diversity or seeded random
order over the embeddings) while fewer than two classes are labeled.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from annotator.config import Settings
from annotator.services.labelset import get_labels
from annotator.services.ranking import build_scores, random_order
from annotator.services.settings import get_settings
from annotator.services.training.models import LoopModels
from annotator.services.training.scoring import HEAD_C, PREDICTOR, done_ids, eval_metrics, rank_pool, stored_head
from annotator.services.versions import publish
from annotator.store.connection import read_snapshot
from annotator.store.project import Project
from annotator.store.trainset import current_label_counts, eval_labels, max_label_id, pool, training_labels
from learner.coldstart import cold_start_order
from learner.head import EmbeddingHead


@dataclass
class Snapshot:
    """One consistent read of everything a ranking needs."""

    settings: Settings
    classes: list[str]
    watermark: int
    ids: list[int]
    texts: list[str]
    is_eval: list[bool]
    train: list[tuple[int, str, str]]
    evals: list[tuple[int, str, str]]
    counts: dict[int, int]


def take_snapshot(project: Project) -> Snapshot:
    db = project.db
    with read_snapshot(db):
        settings = get_settings(db)
        watermark = max_label_id(db)
        ids, texts, flags = pool(db)
        return Snapshot(settings, get_labels(db), watermark, ids, texts, flags, training_labels(db),
                        eval_labels(db), current_label_counts(db))


@dataclass
class HeadResult:
    version: int
    kind: str
    head: EmbeddingHead | None
    metrics: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)  # seconds: read, embed, fit, rank, publish


def refresh(
    project: Project, models: LoopModels, progress: Callable[[float, str], None] | None = None
) -> HeadResult | None:
    """Embed new examples, fit the head on the labeled embeddings, re-rank and publish.

    Returns None for an empty pool. Holds ``models.lock`` so the ranking is
    made and published with the newest encoder; publishing records the
    stopping signal and prunes old scores (:func:`annotator.services.versions.publish`).
    """
    with models.lock:
        timings: dict[str, float] = {}
        tick = time.perf_counter()
        snap = take_snapshot(project)
        if not snap.ids:
            return None
        models.settings, models.classes = snap.settings, snap.classes  # labels may have been added
        timings["read"] = time.perf_counter() - tick
        X = models.pool_embeddings(snap.ids, snap.texts, progress)
        timings["embed"] = time.perf_counter() - tick - timings["read"]
        settings, classes = snap.settings, models.classes
        done = done_ids(snap.counts, settings)
        labels = [label for _, _, label in snap.train]
        base_metrics = {"n_train": len(labels)}
        if len(set(labels)) < 2:
            rows = _cold_start_rows(snap, X, done, settings)
            version = publish(
                project, kind="coldstart", strategy=settings.cold_start, scores=rows,
                encoder_version=models.encoder_version, n_labels=len(labels), watermark=snap.watermark,
                metrics=base_metrics,
            )
            return HeadResult(version, "coldstart", None, base_metrics, timings)
        index = {e: i for i, e in enumerate(snap.ids)}
        train_positions = np.asarray([index[e] for e, _, _ in snap.train])
        tick = time.perf_counter()
        # One BLAS thread: a small logistic regression gains nothing from threads, and on a busy
        # machine OpenBLAS's spinning threads made this fit 20x slower (5 s instead of 0.2 s).
        with threadpool_limits(limits=1, user_api="blas"):
            head = EmbeddingHead(classes=classes, C=HEAD_C).fit(X[train_positions], labels)
            proba = head.predict_proba(X)
            timings["fit"] = time.perf_counter() - tick
            tick = time.perf_counter()
            rows = rank_pool(ids=snap.ids, proba=proba, embeddings=X, classes=classes,
                             strategy=settings.strategy, done=done, estimator=head, seed=settings.seed)
        metrics = {**eval_metrics(snap.evals, snap.ids, proba, classes), **base_metrics,
                   "predictor": PREDICTOR}
        timings["rank"] = time.perf_counter() - tick
        tick = time.perf_counter()
        version = publish(
            project, kind="head", strategy=settings.strategy, scores=rows,
            encoder_version=models.encoder_version, n_labels=len(labels), watermark=snap.watermark,
            metrics=metrics,
            head=stored_head(head, models.encoder_version),
        )
        timings["publish"] = time.perf_counter() - tick
        return HeadResult(version, "head", head, metrics, timings)


def _cold_start_rows(snap: Snapshot, X: np.ndarray, done: set[int], settings: Settings) -> list[tuple]:
    """Cold-start order over the open non-evaluation items; the rest follow."""
    open_positions = np.asarray(
        [i for i, e in enumerate(snap.ids) if e not in done and not snap.is_eval[i]], dtype=np.int64
    )
    if settings.cold_start == "kmeans" and len(open_positions) > 1:
        n = min(len(open_positions), max(settings.batch_size, 1) * 4)
        picks = cold_start_order(X[open_positions], len(open_positions), n, method="kmeans",
                                 random_state=settings.seed)
        order = list(open_positions[np.asarray(picks, dtype=np.int64)])
        rest = random_order(len(snap.ids), settings.seed)
        order += [int(p) for p in rest]
    else:
        order = random_order(len(snap.ids), settings.seed)
    return build_scores(snap.ids, done=done, order=order)
