"""Query strategies: which unlabeled items to ask a person about next.

A strategy is a function ``strategy(classifier, X, n, *, random_state=None)``
returning ``min(n, len(X))`` distinct indices into ``X``, most informative
first.  The uncertainty measures and the ranked-batch selector come from modAL
(``modAL.uncertainty``, ``modAL.batch.uncertainty_batch_sampling``); "random"
is the control.  ``classifier`` only needs ``predict_proba(X)``; an unfitted
classifier (``NotFittedError``) makes every item equally informative, and ties
are broken at random (seeded by ``random_state``), so the order is then random.

For the worker, which stores one score per pool item and serves the queue in
score order, :func:`uncertainty_scores` computes the same measures from an
already computed probability matrix in vectorised numpy (higher = more
informative); the tests check it against modAL's functions.

modAL is imported inside the functions, never at module import: any import of
``modAL`` pulls in torch (``modAL.utils.data`` tries ``import torch``), and
this module must stay importable by the torch-free UI.

Ranked batches and big pools: modAL's ``uncertainty_batch_sampling`` loops in
Python over the whole pool for every pick and, with no labelled data, builds a
full pool-by-pool distance matrix, which takes tens of seconds on a 100k pool.
"diverse" therefore runs it on a candidate subset: the ``candidates`` most
uncertain items (default ``10 * n`` clipped to [500, 5000]).  modAL weighs
novelty against uncertainty by ``alpha = |unlabelled| / (|unlabelled| +
|labelled|)``, so on the subset uncertainty counts somewhat more than it would
over the whole pool.  The selection runs with BLAS/OpenMP limited to one
thread: each pick is a small distance computation, and thread start-up and
spinning cost more than they save (ten times more on a busy shared CPU).

"margin_kmeans" (cluster-then-margin) is the other batch strategy: the
``10 * n`` items with the smallest margin are clustered into ``n`` groups by
k-means on :func:`learner.head.head_features`, and the most uncertain item of
each group is asked, so one batch does not spend its labels on near-duplicates
of one confusing text. It is the default strategy: on a dev split of five
datasets (label_prior auto) it needed fewer labels than plain margin to reach
random sampling's 500-label accuracy on four and as many on the fifth, and
fewer on all five test sets (docs/benchmarks.md, "Label-name prior and
cluster-then-margin").
"""

from __future__ import annotations

import warnings

import numpy as np
from threadpoolctl import threadpool_limits

from .errors import InputError, UnknownStrategyError

DIVERSE_CANDIDATES_PER_PICK = 10
DIVERSE_MIN_CANDIDATES = 500
DIVERSE_MAX_CANDIDATES = 5000
CLUSTER_CANDIDATES_PER_PICK = 10


# ------------------------------------------------------------------ helpers


def _rng(random_state) -> np.random.Generator:
    if isinstance(random_state, np.random.Generator):
        return random_state
    return np.random.default_rng(random_state)


def _pool_size(X) -> int:
    shape = getattr(X, "shape", None)
    return int(shape[0]) if shape is not None else len(X)


def _take(n, size: int) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise InputError(f"n must be an integer, got {n!r}")
    if n < 0:
        raise InputError(f"n must be >= 0, got {n}")
    return min(int(n), size)


def _as_pool(X):
    """modAL reads ``X.shape``: give lists of texts a shape without copying strings."""
    if hasattr(X, "shape"):
        return X
    pool = np.empty(len(X), dtype=object)
    pool[:] = list(X)
    return pool


def rank_by_score(scores: np.ndarray, n: int, random_state=None) -> np.ndarray:
    """Indices of the ``n`` highest scores, highest first; ties in random (seeded) order."""
    scores = np.asarray(scores, dtype=np.float64)
    k = _take(n, len(scores))
    perm = _rng(random_state).permutation(len(scores))
    order = perm[np.argsort(-scores[perm], kind="stable")]
    return order[:k].astype(np.int64)


# -------------------------------------------------- per-item scores (numpy)


def _check_proba(proba) -> np.ndarray:
    proba = np.asarray(proba, dtype=np.float64)
    if proba.ndim != 2 or proba.shape[1] == 0:
        raise InputError(f"proba must be an (n, k) matrix with k >= 1, got shape {proba.shape}")
    return proba


def least_confidence_scores(proba) -> np.ndarray:
    """``1 - max p``: modAL's ``classifier_uncertainty``."""
    return 1.0 - _check_proba(proba).max(axis=1)


def margin_scores(proba) -> np.ndarray:
    """``1 - (p_top1 - p_top2)``: one minus modAL's ``classifier_margin``."""
    proba = _check_proba(proba)
    if proba.shape[1] == 1:
        return np.ones(len(proba))
    top2 = -np.partition(-proba, 1, axis=1)[:, :2]
    return 1.0 - (top2[:, 0] - top2[:, 1])


def entropy_scores(proba) -> np.ndarray:
    """Shannon entropy in nats of each (normalised) row: modAL's ``classifier_entropy``."""
    proba = _check_proba(proba)
    total = proba.sum(axis=1, keepdims=True)
    proba = np.divide(proba, total, out=np.zeros_like(proba), where=total > 0)
    from scipy.special import entr  # here, not at import: the names of this module are read by annotator.config

    return entr(proba).sum(axis=1)


def uncertainty_scores(name: str, proba, *, random_state=None) -> np.ndarray:
    """Per-item informativeness for strategy ``name`` (higher = ask sooner).

    "diverse" scores items by least confidence (its selector then diversifies
    a batch); "random" gives uniform random scores (seeded by ``random_state``).
    """
    get_strategy(name)
    if name == "random":
        return _rng(random_state).random(len(_check_proba(proba)))
    return _SCORES[name](proba)


_SCORES = {
    "least_confidence": least_confidence_scores,
    "margin": margin_scores,
    "entropy": entropy_scores,
    "diverse": least_confidence_scores,
    "margin_kmeans": margin_scores,
}


# ----------------------------------------------------------------- strategies


def least_confidence(classifier, X, n, *, random_state=None) -> np.ndarray:
    """Items whose most likely class is least likely (modAL ``classifier_uncertainty``)."""
    from modAL.uncertainty import classifier_uncertainty

    X = _as_pool(X)
    return rank_by_score(classifier_uncertainty(classifier, X), n, random_state)


def margin(classifier, X, n, *, random_state=None) -> np.ndarray:
    """Items with the smallest gap between the two most likely classes (modAL ``classifier_margin``)."""
    from modAL.uncertainty import classifier_margin

    X = _as_pool(X)
    return rank_by_score(-classifier_margin(classifier, X), n, random_state)


def entropy(classifier, X, n, *, random_state=None) -> np.ndarray:
    """Items with the most spread-out class distribution (modAL ``classifier_entropy``)."""
    from modAL.uncertainty import classifier_entropy

    X = _as_pool(X)
    return rank_by_score(classifier_entropy(classifier, X), n, random_state)


class _RankedBatchView:
    """What modAL's ranked batch reads from a learner: ``predict_proba``,
    ``X_training`` (the labelled embeddings, or None for a cold start) and
    ``on_transformed``.  Lets us use the selector without ``ActiveLearner``."""

    on_transformed = False

    def __init__(self, estimator, X_training):
        self.estimator = estimator
        self.X_training = X_training

    def predict_proba(self, X, **kwargs):
        return self.estimator.predict_proba(X, **kwargs)


def diverse(classifier, X, n, *, random_state=None, candidates=None) -> np.ndarray:
    """Uncertain items that are also unlike each other and the labelled set
    (modAL ``uncertainty_batch_sampling``, Cardoso et al.'s ranked batch).

    ``X`` must be an (n, d) embedding matrix and ``classifier`` must score
    embeddings (an :class:`~learner.head.EmbeddingHead`); its ``X_train_``, if
    any, is the labelled set novelty is measured against.  Runs on the
    ``candidates`` most uncertain items (see the module notes).
    """
    from modAL.batch import uncertainty_batch_sampling
    from modAL.uncertainty import classifier_uncertainty

    X = np.asarray(X)
    if X.ndim != 2 or X.dtype.kind not in "fiu":
        raise InputError(f"'diverse' needs an (n, d) embedding matrix, got shape {X.shape} dtype {X.dtype}")
    k = _take(n, len(X))
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    rng = _rng(random_state)
    if candidates is None:
        candidates = int(np.clip(DIVERSE_CANDIDATES_PER_PICK * k, DIVERSE_MIN_CANDIDATES, DIVERSE_MAX_CANDIDATES))
    pool = rank_by_score(classifier_uncertainty(classifier, X), max(candidates, k), rng)
    labelled = getattr(classifier, "X_train_", None)
    if labelled is not None and len(labelled) == 0:
        labelled = None
    with threadpool_limits(limits=1):
        picked, _ = uncertainty_batch_sampling(_RankedBatchView(classifier, labelled), X[pool], n_instances=k)
    return pool[np.asarray(picked, dtype=np.int64)]


def margin_kmeans(classifier, X, n, *, random_state=None) -> np.ndarray:
    """Cluster-then-margin: the ``10 * n`` smallest-margin items are grouped by k-means into ``n``
    clusters (one k-means start, seeded, one BLAS thread) and the most uncertain item of each is
    picked; the picks come in margin order (see the module notes).

    ``X`` must be an (n, d) embedding matrix scored by ``classifier`` (an
    :class:`~learner.head.EmbeddingHead`).
    """
    from modAL.uncertainty import classifier_margin

    X = np.asarray(X)
    if X.ndim != 2 or X.dtype.kind not in "fiu":
        raise InputError(f"'margin_kmeans' needs an (n, d) embedding matrix, got shape {X.shape} dtype {X.dtype}")
    k = _take(n, len(X))
    rng = _rng(random_state)
    return cluster_picks(X, rank_by_score(-classifier_margin(classifier, X), len(X), rng), k, rng)


def cluster_picks(X: np.ndarray, ranking: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """``k`` picks from the ``10 * k`` first items of ``ranking`` (most uncertain first): k-means into ``k``
    groups on their :func:`learner.head.head_features`, the first-ranked item of each, in ranking order."""
    from sklearn.cluster import KMeans
    from sklearn.exceptions import ConvergenceWarning

    from .head import head_features

    candidates = ranking[:CLUSTER_CANDIDATES_PER_PICK * k]
    if len(candidates) <= k:
        return ranking[:k]
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # fewer distinct rows than clusters: handled below
        clusters = KMeans(n_clusters=k, n_init=1, random_state=int(rng.integers(2**31 - 1))).fit_predict(
            head_features(X[candidates]))
    # candidates are in margin order: a cluster's first member is its most uncertain item
    _, first = np.unique(clusters, return_index=True)
    picked = candidates[np.sort(first)]
    if len(picked) < k:  # k-means found fewer distinct groups (duplicate rows): fill up by margin
        rest = ranking[~np.isin(ranking, picked)]
        picked = np.concatenate([picked, rest[:k - len(picked)]])
        picked = ranking[np.isin(ranking, picked)]
    return picked.astype(np.int64)


def random(classifier, X, n, *, random_state=None) -> np.ndarray:
    """Uniformly random items: the control every other strategy must beat."""
    size = _pool_size(X)
    return _rng(random_state).permutation(size)[: _take(n, size)].astype(np.int64)


STRATEGIES = {
    "margin": margin,
    "entropy": entropy,
    "least_confidence": least_confidence,
    "diverse": diverse,
    "margin_kmeans": margin_kmeans,
    "random": random,
}
"""The query strategies, by name: the one registry (``annotator.config.STRATEGY_NAMES`` is its keys)."""


def get_strategy(name: str):
    """The strategy function called ``name``; unknown names raise ``UnknownStrategyError`` (a ValueError)."""
    try:
        return STRATEGIES[name]
    except (KeyError, TypeError) as exc:
        raise UnknownStrategyError(name, STRATEGIES) from exc
