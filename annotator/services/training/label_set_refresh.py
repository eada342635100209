"""The fast tier of a multi-label project: the one-vs-rest head on the cached pool embeddings, the
pool ranked by the strategy's multi-label meaning, the suggested set of every text published.

Called by :func:`annotator.services.training.refresh.refresh` once the pool is embedded. Each text
trains with its final set (:func:`annotator.services.label_set_finals.resolved_sets`: the lead's
adjudication, else the per-label majority). Until two texts have a set, the caller publishes its
cold-start order. A score row's ``predicted`` is the suggested set as a JSON list (the card reads it
with :func:`annotator.services.label_sets.suggested_set`), ``confidence`` the distance of the least
certain label to its threshold (:func:`learner.multi_label_strategies.threshold_distances`).
Metrics on the labeled evaluation texts: micro/macro-F1, subset accuracy, Hamming loss; ``accuracy``
is the subset accuracy (where single-label pages show accuracy).

The version stores the head (``coef``, ``intercept`` of each label's regression), so ``export --model``
writes a ``multi_label_classification`` transformers folder (sigmoid per label, the thresholds in its
config). The fine-tuned tier (:mod:`.label_set_finetune`) fits, ranks and evaluates with the same
functions on its new encoder's embeddings. Not yet: staged publishing of very large pools.
"""

from __future__ import annotations

import json
import time
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from annotator.services.label_set_finals import resolved_sets
from annotator.services.ranking import rank_positions, score_rows
from annotator.services.training.label_prior import prior_for
from annotator.services.training.models import LoopModels
from annotator.services.training.scoring import (
    BATCH_STRATEGIES,
    DIVERSE_BATCH,
    DIVERSE_CANDIDATES,
    HEAD_C,
    SCORE_CHUNK,
    positions_of,
    stored_head,
)
from annotator.services.versions import publish
from annotator.store.label_sets import current_label_sets
from annotator.store.project import Project
from annotator.store.versions import ScoreRow
from learner.multi_label_head import MultiLabelHead
from learner.multi_label_metrics import evaluate_sets
from learner.multi_label_strategies import multi_label_scores, rank_multi_label, threshold_distances

PREDICTOR = {"kind": "head", "multi_label": True}
MIN_TRAINING_SETS = 2


def label_set_pairs(project: Project, classes: list[str], *, evaluation: bool) -> list[tuple[int, list[str]]]:
    """(example_id, final set) of the training (or evaluation) texts."""
    return resolved_sets(current_label_sets(project.db, evaluation=evaluation), classes)


def refresh_label_sets(project: Project, models: LoopModels, state: Any, X: np.ndarray, done: np.ndarray,
                       timings: dict[str, float]) -> tuple[int, MultiLabelHead, dict[str, Any]] | None:
    """Fit, rank and publish; ``(version, head, metrics)``, or None while fewer than two training texts
    have a set (the caller publishes the cold start). ``state`` is the refresh's PoolState."""
    settings, classes = state.settings, list(models.classes)
    train = label_set_pairs(project, classes, evaluation=False)
    if len(train) < MIN_TRAINING_SETS:
        return None
    evals = label_set_pairs(project, classes, evaluation=True)
    prior = prior_for(models, classes, settings)
    tick = time.perf_counter()
    with threadpool_limits(limits=1, user_api="blas"):
        head = fit_set_head(X, state.ids, train, classes, settings, prior)
        timings["fit"] = time.perf_counter() - tick
        tick = time.perf_counter()
        rows = rank_label_sets(head, X, state.ids, done, settings)
        figures = set_figures(head, X, state.ids, evals)
    metrics: dict[str, Any] = {"n_train": len(train), "predictor": PREDICTOR, "label_prior": prior is not None,
                               **figures}
    timings["rank"] = time.perf_counter() - tick
    tick = time.perf_counter()
    version = publish(project, kind="head", strategy=settings.strategy, scores=rows, n_ranked=len(rows),
                      encoder_version=models.encoder_version, n_labels=len(train), watermark=state.watermark,
                      metrics=metrics, head=stored_head(head, models.encoder_version))
    timings["publish"] = time.perf_counter() - tick
    return version, head, metrics


def fit_set_head(X: np.ndarray, ids: np.ndarray, train: list[tuple[int, list[str]]], classes: list[str],
                 settings: Any, prior: np.ndarray | None = None) -> MultiLabelHead:
    """The one-vs-rest head on the pool vectors ``X`` (rows in ``ids`` order) of the training sets."""
    return MultiLabelHead(classes=classes, C=HEAD_C, prior=prior, random_state=settings.seed).fit(
        np.asarray(X[positions_of(ids, [e for e, _ in train])]), [names for _, names in train])


def rank_label_sets(head: MultiLabelHead, X: np.ndarray, ids: np.ndarray, done: np.ndarray,
                    settings: Any) -> list[ScoreRow]:
    """Every pool text's score row: ranked by the strategy's multi-label meaning, with the suggested
    set (JSON) and the distance of its least certain label to the threshold."""
    classes = [str(c) for c in head.classes_]
    proba = np.concatenate([head.predict_proba(np.asarray(X[start:start + SCORE_CHUNK]))
                            for start in range(0, len(X), SCORE_CHUNK)]) if len(X) else np.zeros((0, len(classes)))
    informativeness = multi_label_scores(settings.strategy, proba, head.thresholds_,
                                         random_state=settings.seed + int(done.sum()))
    first = _batch_first(head, X, informativeness, done, settings)
    decided = head.decide(proba)
    predicted = np.asarray([json.dumps([classes[j] for j in np.flatnonzero(row)]) for row in decided],
                           dtype=object)
    confidence = threshold_distances(proba, head.thresholds_).min(axis=1).astype(np.float32)
    order = rank_positions(len(ids), done, informativeness, first)
    return score_rows(np.asarray(ids, dtype=np.int64), order, 0, len(ids),
                      informativeness=informativeness, predicted=predicted, confidence=confidence)


def set_scores(evals: list[tuple[int, list[str]]], decided: np.ndarray, classes: list[str]) -> dict[str, float]:
    """micro/macro-F1, subset accuracy, Hamming loss (and ``accuracy``, the subset accuracy) of the 0/1
    ``decided`` rows against the evaluation sets (same order)."""
    result = evaluate_sets([names for _, names in evals], decided, classes)
    figures = {key: result[key] for key in ("micro_f1", "macro_f1", "subset_accuracy", "hamming_loss")}
    return {**figures, "accuracy": result["subset_accuracy"]}


def set_figures(head: MultiLabelHead, X: np.ndarray, ids: np.ndarray,
                evals: list[tuple[int, list[str]]]) -> dict[str, Any]:
    """The head's figures on the labeled evaluation texts, with its thresholds and ``n_eval``."""
    classes = [str(c) for c in head.classes_]
    figures: dict[str, Any] = {"n_eval": len(evals),
                               "thresholds": {c: round(float(t), 2) for c, t in zip(classes, head.thresholds_)}}
    if evals:
        figures.update(set_scores(evals, head.predict(np.asarray(X[positions_of(ids, [e for e, _ in evals])])),
                                  classes))
    return figures


def _batch_first(head: MultiLabelHead, X: np.ndarray, informativeness: np.ndarray, done: np.ndarray,
                 settings: Any) -> np.ndarray | None:
    """The positions a batch strategy puts first (diverse / margin_kmeans), None for the others."""
    if settings.strategy not in BATCH_STRATEGIES:
        return None
    open_positions = np.flatnonzero(~done)
    if not len(open_positions):
        return None
    candidates = open_positions[np.argsort(-informativeness[open_positions], kind="stable")[:DIVERSE_CANDIDATES]]
    wanted = DIVERSE_BATCH if settings.strategy == "diverse" else max(int(settings.batch_size), 1)
    picks = rank_multi_label(settings.strategy, head, np.asarray(X[candidates]), min(wanted, len(candidates)),
                             random_state=settings.seed)
    return candidates[np.asarray(picks, dtype=np.int64)]
