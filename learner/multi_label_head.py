"""The fast tier of multi-label projects: one logistic regression per label on cached embeddings
(one-vs-rest), with a decision threshold per label chosen by cross-validation.

A text may have any number of labels, so each label is its own yes/no question: label ``j``'s
probability is ``sigmoid(head_features(x) . coef_[j] + intercept_[j])``, independent of the other
labels (the columns of :meth:`MultiLabelHead.predict_proba` do not sum to 1). The same features as
the single-label head (:func:`learner.head.head_features`), so the pool's cached embeddings serve
both, and :meth:`MultiLabelHead.linear` writes into a standard transformers classifier with
``problem_type="multi_label_classification"`` (sigmoid per label).

Thresholds: with few labels and rare classes, a fixed 0.5 almost never says yes to a rare label
(its probability stays low), so each label gets the threshold that maximises its F1 on
out-of-fold probabilities (``cv`` folds over the labeled rows, refit on each fold's rest). A label
with fewer than ``min_positives`` positive rows keeps ``default_threshold``. Measured on GoEmotions
in docs/benchmarks.md (multi-label section).

Degenerate labels: a label no row has (yet) gets probability 0 (to 1e-34); a label every row has 1;
neither needs a regression. ``prior`` (one pseudo-example per label, e.g. its name's embedding, as
in :class:`learner.head.EmbeddingHead`) is a positive row of its own label and a negative row of
every other, with weight ``prior_weight``, in every fit (never held out).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from .errors import InputError, UnknownLabelError
from .head import _as_matrix, checked_prior, head_features

# A label never (always) seen: its logit; its sigmoid is 0 (1) to 1e-34, and exp(80) still fits in
# a float32 (a pipeline's sigmoid of the exported model does not overflow).
CONSTANT_LOGIT = 80.0
THRESHOLD_GRID = np.round(np.linspace(0.02, 0.98, 49), 2)


def indicator_matrix(label_sets: Iterable[Iterable[str]], classes: Sequence[str]) -> np.ndarray:
    """``(n, k)`` 0/1 matrix of the sets over ``classes``; a name not in ``classes`` raises UnknownLabelError."""
    index = {name: j for j, name in enumerate(classes)}
    rows = [list(names) if not isinstance(names, str) else None for names in label_sets]
    if any(row is None for row in rows):
        raise InputError("each item of Y must be a set of label names, not a single string")
    unknown = sorted({str(name) for row in rows for name in row} - set(index))
    if unknown:
        raise UnknownLabelError(unknown, classes)
    out = np.zeros((len(rows), len(classes)), dtype=np.int8)
    for i, row in enumerate(rows):
        for name in row:
            out[i, index[str(name)]] = 1
    return out


def best_threshold(proba: np.ndarray, truth: np.ndarray, grid: np.ndarray = THRESHOLD_GRID) -> float:
    """The threshold of ``grid`` with the highest F1 of ``proba >= t`` against the 0/1 ``truth``; among
    equally good ones the middle one."""
    predicted = proba[None, :] >= grid[:, None]
    tp = (predicted & (truth[None, :] == 1)).sum(axis=1)
    f1 = 2 * tp / np.maximum(predicted.sum(axis=1) + truth.sum(), 1)
    best = np.flatnonzero(f1 == f1.max())
    return float(grid[best[len(best) // 2]])


class MultiLabelHead(BaseEstimator):
    """One-vs-rest logistic regression over embeddings, a threshold per label.

    Parameters
    ----------
    classes : list of str, optional
        Ordered label set (columns of ``predict_proba``); default: the sorted names seen by ``fit``.
    C, max_iter, class_weight
        Passed to each :class:`sklearn.linear_model.LogisticRegression`.
    cv : int
        Folds for choosing thresholds (fewer labeled rows than ``2 * cv``: no cross-validation,
        every threshold is ``default_threshold``).
    min_positives : int
        Positive rows a label needs for a cross-validated threshold.
    default_threshold : float
        The threshold of a label without a cross-validated one.
    at_least_one : bool
        ``predict`` gives a text whose labels all stay under their thresholds the label closest to
        its threshold (for data where every text has a label).
    prior, prior_weight
        One pseudo-example per label (see the module notes).
    random_state : int
        Seeds the folds.
    """

    def __init__(self, classes=None, C=1.0, max_iter=1000, class_weight=None, cv=3, min_positives=2,
                 default_threshold=0.5, at_least_one=False, prior=None, prior_weight=1.0, random_state=0):
        self.classes = classes
        self.C = C
        self.max_iter = max_iter
        self.class_weight = class_weight
        self.cv = cv
        self.min_positives = min_positives
        self.default_threshold = default_threshold
        self.at_least_one = at_least_one
        self.prior = prior
        self.prior_weight = prior_weight
        self.random_state = random_state

    # ------------------------------------------------------------------ fitting

    def fit(self, X, Y):
        """``Y``: one set of label names per row (lists, tuples or sets), or an ``(n, k)`` 0/1 matrix
        over ``classes``."""
        X = _as_matrix(X)
        classes, Y = self._targets(Y)
        if len(Y) != len(X):
            raise InputError(f"got {len(X)} embeddings but {len(Y)} label sets")
        if len(Y) == 0 and self.prior is None:
            raise InputError("cannot fit the head on an empty set of labels")
        self.classes_ = np.asarray(classes, dtype=str)
        self.n_features_in_ = X.shape[1]
        self.X_train_ = X
        features = head_features(X)
        prior = self._checked_prior(X.shape[1])
        self.coef_, self.intercept_ = self._fit_linear(features, Y, prior)
        self.thresholds_ = self._thresholds(features, Y, prior)
        return self

    def _targets(self, Y) -> tuple[list[str], np.ndarray]:
        if isinstance(Y, np.ndarray) and Y.ndim == 2:
            if self.classes is None or len(self.classes) != Y.shape[1]:
                raise InputError("an indicator matrix Y needs classes with one name per column")
            return [str(c) for c in self.classes], (np.asarray(Y) != 0).astype(np.int8)
        if Y is None or isinstance(Y, (str, bytes)):
            raise InputError("Y must be a sequence of label sets")
        sets = [list(names) if not isinstance(names, str) else names for names in Y]
        if self.classes is None:
            classes = sorted({str(name) for names in sets if not isinstance(names, str) for name in names})
        else:
            classes = [str(c) for c in self.classes]
            if len(set(classes)) != len(classes):
                raise InputError(f"classes contains duplicates: {classes!r}")
        return classes, indicator_matrix(sets, classes)

    def _checked_prior(self, d: int) -> np.ndarray | None:
        if self.prior is None:
            return None
        return head_features(checked_prior(self.prior, self.classes, self.prior_weight, d))

    def _fit_linear(self, features: np.ndarray, Y: np.ndarray, prior: np.ndarray | None):
        """``(coef, intercept)`` of every label's regression on ``features`` (and the prior rows)."""
        k, d = Y.shape[1], features.shape[1]
        rows, targets, weights = features, Y, np.ones(len(features))
        if prior is not None:
            rows = np.vstack([features, prior])
            targets = np.vstack([Y, np.eye(k, dtype=np.int8)])
            weights = np.concatenate([weights, np.full(k, float(self.prior_weight))])
        coef = np.zeros((k, d), dtype=np.float64)
        intercept = np.zeros(k, dtype=np.float64)
        with threadpool_limits(limits=1):
            for j in range(k):
                column = targets[:, j]
                positives = int(column.sum())
                if positives in (0, len(column)):
                    intercept[j] = CONSTANT_LOGIT if positives else -CONSTANT_LOGIT
                    continue
                model = LogisticRegression(C=self.C, max_iter=self.max_iter, class_weight=self.class_weight)
                model.fit(rows, column, sample_weight=weights)
                coef[j], intercept[j] = model.coef_[0], model.intercept_[0]
        return coef, intercept

    def _thresholds(self, features: np.ndarray, Y: np.ndarray, prior: np.ndarray | None) -> np.ndarray:
        """Per label: the F1-best threshold on out-of-fold probabilities, or ``default_threshold``."""
        k = Y.shape[1]
        thresholds = np.full(k, float(self.default_threshold))
        folds = int(self.cv)
        eligible = Y.sum(axis=0) >= max(int(self.min_positives), 1)
        if folds < 2 or len(Y) < 2 * folds or not eligible.any():
            return thresholds
        order = np.random.default_rng(self.random_state).permutation(len(Y))
        out_of_fold = np.zeros(Y.shape, dtype=np.float64)
        for held in np.array_split(order, folds):
            kept = np.setdiff1d(order, held)
            coef, intercept = self._fit_linear(features[kept], Y[kept], prior)
            out_of_fold[held] = expit(features[held] @ coef.T + intercept)
        for j in np.flatnonzero(eligible):
            thresholds[j] = best_threshold(out_of_fold[:, j], Y[:, j])
        return thresholds

    # --------------------------------------------------------------- predicting

    def predict_proba(self, X) -> np.ndarray:
        """``(n, len(classes_))``: each label's own probability (rows need not sum to 1)."""
        check_is_fitted(self)
        X = _as_matrix(X)
        if X.shape[1] != self.n_features_in_:
            raise InputError(f"X has {X.shape[1]} features, the head was fitted on {self.n_features_in_}")
        with threadpool_limits(limits=1):
            return expit(head_features(X) @ self.coef_.T + self.intercept_)

    def decide(self, proba: np.ndarray) -> np.ndarray:
        """The 0/1 ``(n, k)`` decisions for probabilities ``proba`` (see ``at_least_one``)."""
        proba = np.asarray(proba, dtype=np.float64)
        chosen = (proba >= self.thresholds_).astype(np.int8)
        if self.at_least_one and len(proba):
            empty = chosen.sum(axis=1) == 0
            closest = (proba / np.maximum(self.thresholds_, 1e-9)).argmax(axis=1)
            chosen[np.flatnonzero(empty), closest[empty]] = 1
        return chosen

    def predict(self, X) -> np.ndarray:
        """``(n, k)`` 0/1 matrix: label ``j`` when its probability reaches ``thresholds_[j]``."""
        return self.decide(self.predict_proba(X))

    def predict_sets(self, X) -> list[list[str]]:
        """The predicted set of each row, in ``classes_`` order."""
        return [list(self.classes_[np.flatnonzero(row)]) for row in self.predict(X)]

    def linear(self) -> tuple[np.ndarray, np.ndarray]:
        """``(coef, intercept)`` such that ``sigmoid(head_features(X) @ coef.T + intercept)`` equals
        :meth:`predict_proba`."""
        check_is_fitted(self)
        return self.coef_.copy(), self.intercept_.copy()
