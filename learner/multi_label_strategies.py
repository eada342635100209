"""Query strategies of multi-label projects: the same names as :data:`learner.strategies.STRATEGIES`,
each with a meaning over per-label probabilities and per-label thresholds.

A multi-label model answers ``k`` yes/no questions per text, each decided by whether label ``j``'s
probability ``p_j`` reaches its threshold ``t_j`` (:class:`learner.multi_label_head.MultiLabelHead`).
How sure it is of decision ``j`` is the distance to that threshold, scaled to [0, 1] on each side::

    d_j = (p_j - t_j) / (1 - t_j)   when p_j >= t_j,      (t_j - p_j) / t_j   otherwise

(0: on the threshold, 1: probability 1 for a yes, 0 for a no). Scores (higher = ask sooner):

* ``margin``: ``1 - min_j d_j``, the least certain single decision ("min margin": Brinker 2006,
  "On active learning in multi-label classification"; small-text's multi-label margin-type measures);
* ``least_confidence``: ``1 - mean_j d_j``, the average uncertainty of all decisions ("mean margin");
* ``entropy``: the mean over labels of the binary entropy of ``p_j`` (nats), threshold-blind;
* ``diverse`` / ``margin_kmeans``: the ``10 * n`` items first by mean / min margin, grouped by k-means on
  the embeddings, the first of each group (:func:`learner.strategies.cluster_picks`);
* ``random``: the control.

Strategy functions keep the single-label contract ``(classifier, X, n, *, random_state) -> indices``;
``classifier`` needs ``predict_proba`` and ``thresholds_``. Which of them beats random on GoEmotions is
measured in docs/benchmarks.md (multi-label section), not assumed.
"""

from __future__ import annotations

import numpy as np

from .errors import InputError
from .strategies import _rng, _take, cluster_picks, get_strategy, rank_by_score


def _checked(proba, thresholds) -> tuple[np.ndarray, np.ndarray]:
    proba = np.asarray(proba, dtype=np.float64)
    thresholds = np.asarray(thresholds, dtype=np.float64)
    if proba.ndim != 2 or proba.shape[1] == 0 or thresholds.shape != (proba.shape[1],):
        raise InputError(f"proba must be (n, k) with one threshold per column; got {proba.shape} and "
                         f"{thresholds.shape}")
    return proba, np.clip(thresholds, 1e-6, 1 - 1e-6)


def threshold_distances(proba, thresholds) -> np.ndarray:
    """``(n, k)``: each decision's scaled distance to its threshold, in [0, 1] (see the module notes)."""
    proba, thresholds = _checked(proba, thresholds)
    above = proba >= thresholds
    distance = np.where(above, (proba - thresholds) / (1 - thresholds), (thresholds - proba) / thresholds)
    return np.clip(distance, 0.0, 1.0)


def min_margin_scores(proba, thresholds) -> np.ndarray:
    return 1.0 - threshold_distances(proba, thresholds).min(axis=1)


def mean_margin_scores(proba, thresholds) -> np.ndarray:
    return 1.0 - threshold_distances(proba, thresholds).mean(axis=1)


def binary_entropy_scores(proba, thresholds) -> np.ndarray:
    from scipy.special import entr

    proba, _ = _checked(proba, thresholds)
    return (entr(proba) + entr(1.0 - proba)).mean(axis=1)


_SCORES = {
    "margin": min_margin_scores,
    "least_confidence": mean_margin_scores,
    "entropy": binary_entropy_scores,
    "diverse": mean_margin_scores,
    "margin_kmeans": min_margin_scores,
}
_CLUSTERED = ("diverse", "margin_kmeans")


def multi_label_scores(name: str, proba, thresholds, *, random_state=None) -> np.ndarray:
    """Per-item informativeness for strategy ``name`` on a multi-label model (higher = ask sooner)."""
    get_strategy(name)
    if name == "random":
        return _rng(random_state).random(len(_checked(proba, thresholds)[0]))
    return _SCORES[name](proba, thresholds)


def rank_multi_label(name: str, classifier, X, n, *, random_state=None) -> np.ndarray:
    """Strategy ``name`` on a multi-label ``classifier`` (``predict_proba`` and ``thresholds_``): the
    ``min(n, len(X))`` indices to ask first."""
    rng = _rng(random_state)
    X = np.asarray(X)
    k = _take(n, len(X))
    if name == "random":
        return rng.permutation(len(X))[:k].astype(np.int64)
    scores = multi_label_scores(name, classifier.predict_proba(X), classifier.thresholds_)
    if name not in _CLUSTERED:
        return rank_by_score(scores, k, rng)
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    return cluster_picks(X, rank_by_score(scores, len(X), rng), k, rng)
