"""Fast tier: a light head on cached pool embeddings re-ranks the queue in seconds.

Also publishes the cold-start ranking (k-means diversity or seeded random
order over the embeddings) before any label, and while fewer than two classes
are labeled unless the head has the label-name prior (every class has a
direction then, so a head is fitted from the first batch on).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from annotator.config import Settings
from annotator.services.label_mode import is_multi_label
from annotator.services.labelset import get_labels
from annotator.services.ranking import random_order, rank_positions, score_rows
from annotator.services.settings import get_settings
from annotator.services.stability import METRICS_KEY as STOPPING_KEY
from annotator.services.stability import change_between
from annotator.services.training.embeddings import load_embeddings
from annotator.services.training.label_prior import prior_for
from annotator.services.training.label_set_refresh import refresh_label_sets
from annotator.services.training.models import LoopModels
from annotator.services.training.scoring import (
    FULL_PUBLISH,
    PREDICTOR,
    done_mask,
    eval_metrics,
    fit_head,
    positions_of,
    rank_pool,
    score_pool,
    stored_head,
)
from annotator.services.versions import publish
from annotator.store.connection import read_snapshot
from annotator.store.project import Project
from annotator.store.trainset import (
    current_label_counts,
    eval_ids,
    eval_labels,
    example_ids,
    max_label_id,
    pool,
    pool_id_range,
    resolved_label_pairs,
    texts_of,
    training_labels,
)
from annotator.store.versions import ScoreRow
from learner.coldstart import cold_start_order
from learner.head import EmbeddingHead

COLD_START_SAMPLE = 20_000


@dataclass
class Snapshot:
    """One consistent read of everything a fine-tune needs (every text of the pool)."""

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
class PoolState:
    """One consistent read of what a refresh needs, with no text in it: a refresh of a cached pool
    of a million texts reads ids, labels and counts, never the texts."""

    settings: Settings
    classes: list[str]
    watermark: int
    ids: np.ndarray            # every example id, ascending
    eval_ids: np.ndarray
    train: list[tuple[int, str]]   # (example_id, resolved label)
    evals: list[tuple[int, str]]
    counts: dict[int, int]


def read_pool_state(project: Project, cached_ids: np.ndarray | None = None) -> PoolState:
    """The pool's state; ``cached_ids`` (the embedding cache's) stand for the pool's ids when the
    pool still has exactly as many texts and the same largest id (texts are never deleted)."""
    db = project.db
    with read_snapshot(db):
        count, largest = pool_id_range(db)
        same = cached_ids is not None and len(cached_ids) == count and (count == 0 or cached_ids[-1] == largest)
        return PoolState(
            get_settings(db), get_labels(db), max_label_id(db),
            np.asarray(cached_ids) if same else example_ids(db), eval_ids(db),
            resolved_label_pairs(db, evaluation=False), resolved_label_pairs(db, evaluation=True),
            current_label_counts(db),
        )


@dataclass
class HeadResult:
    version: int
    kind: str
    head: EmbeddingHead | None
    metrics: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)  # seconds: read, embed, fit, rank, publish
    tail: Iterator[list[ScoreRow]] | None = None  # the ranking's rows not published yet (large pools)


def refresh(
    project: Project, models: LoopModels, progress: Callable[[float, str], None] | None = None
) -> HeadResult | None:
    """Embed new examples, fit the head on the labeled embeddings, re-rank and publish.

    Returns None for an empty pool. Holds ``models.lock`` so the ranking is made and published
    with the newest encoder. At a pool of more than ``scoring.FULL_PUBLISH`` texts only the best
    ``scoring.TOP_PUBLISHED`` rows are published and ``HeadResult.tail`` holds the rest, for the
    caller to write when idle (:func:`annotator.store.versions.append_scores`); old scores are then
    pruned by the caller too. The stopping signal is computed against the last version's
    predictions kept in ``models``.
    """
    with models.lock:
        timings: dict[str, float] = {}
        tick = time.perf_counter()
        cached = load_embeddings(project.path, models.encoder_version)
        state = read_pool_state(project, cached[0] if cached is not None else None)
        if not len(state.ids):
            return None
        models.settings, models.classes = state.settings, state.classes  # labels may have been added
        timings["read"] = time.perf_counter() - tick
        X = models.pool_embeddings(state.ids, lambda missing: texts_of(project.db, missing), progress)
        timings["embed"] = time.perf_counter() - tick - timings["read"]
        settings, classes = state.settings, models.classes
        done = done_mask(state.ids, state.counts, settings)
        if is_multi_label(project.db):  # sets, not labels: the one-vs-rest head (label_set_refresh)
            fitted = refresh_label_sets(project, models, state, X, done, timings)
            if fitted is not None:
                return HeadResult(fitted[0], "head", fitted[1], fitted[2], timings)
            state.train = []  # fewer than two sets yet: the cold start below
        labels = [label for _, label in state.train]
        large = len(state.ids) > FULL_PUBLISH
        base_metrics = {"n_train": len(labels)}
        prior = prior_for(models, classes, settings) if labels else None
        if not labels or (len(set(labels)) < 2 and prior is None):
            rows = _cold_start_rows(state, X, done, settings)
            version = publish(
                project, kind="coldstart", strategy=settings.cold_start, scores=rows,
                encoder_version=models.encoder_version, n_labels=len(labels), watermark=state.watermark,
                metrics=base_metrics,
            )
            return HeadResult(version, "coldstart", None, base_metrics, timings)
        tick = time.perf_counter()
        # One BLAS thread: a small logistic regression gains nothing from threads, and on a busy
        # machine OpenBLAS's spinning threads made this fit 20x slower (5 s instead of 0.2 s).
        with threadpool_limits(limits=1, user_api="blas"):
            head = fit_head(X, state.ids, state.train, classes, prior)
            timings["fit"] = time.perf_counter() - tick
            tick = time.perf_counter()
            scores = score_pool(head, X, settings.strategy, settings.seed, int(done.sum()),
                                stats=models.pool_row_stats(X))
            ranking = rank_pool(ids=state.ids, scores=scores, embeddings=X, classes=classes,
                                strategy=settings.strategy, done=done, estimator=head, seed=settings.seed,
                                batch_size=settings.batch_size)
            eval_proba = head.predict_proba(np.asarray(X[positions_of(state.ids, [e for e, _ in state.evals])]))
        metrics = {**eval_metrics(state.evals, eval_proba, classes), **base_metrics, "predictor": PREDICTOR,
                   "label_prior": prior is not None}
        pool_mask = ~np.isin(state.ids, state.eval_ids)
        predictions = (state.ids[pool_mask], scores.predicted[pool_mask], list(classes))
        if models.last_predictions is not None:
            change = change_between(models.last_predictions[0], models.last_predictions[1], predictions)
            if change is not None:
                metrics[STOPPING_KEY] = change
        timings["rank"] = time.perf_counter() - tick
        tick = time.perf_counter()
        version = publish(
            project, kind="head", strategy=settings.strategy, scores=ranking.top, n_ranked=ranking.n,
            encoder_version=models.encoder_version, n_labels=len(labels), watermark=state.watermark,
            metrics=metrics, head=stored_head(head, models.encoder_version), prune=not large,
        )
        models.last_predictions = (version, predictions)
        timings["publish"] = time.perf_counter() - tick
        return HeadResult(version, "head", head, metrics, timings, ranking.tail if large else None)


def _cold_start_rows(state: PoolState, X: np.ndarray, done: np.ndarray, settings: Settings) -> list[tuple]:
    """Cold-start order over the open non-evaluation items; the rest follow."""
    open_positions = np.flatnonzero(~done & ~np.isin(state.ids, state.eval_ids))
    if settings.cold_start == "kmeans" and len(open_positions) > 1:
        n = min(len(open_positions), max(settings.batch_size, 1) * 4)
        sample = open_positions
        if len(sample) > COLD_START_SAMPLE:  # k-means over a seeded sample: a million texts need not be clustered
            sample = np.sort(np.random.default_rng(settings.seed).choice(sample, COLD_START_SAMPLE, replace=False))
        picks = cold_start_order(np.asarray(X[sample]), len(sample), n, method="kmeans", random_state=settings.seed)
        order = np.concatenate([sample[np.asarray(picks, dtype=np.int64)], random_order(len(state.ids), settings.seed)])
    else:
        order = random_order(len(state.ids), settings.seed)
    positions = rank_positions(len(state.ids), done, None, order)
    return score_rows(state.ids, positions, 0, len(state.ids))
