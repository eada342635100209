"""The fast tier: a logistic-regression head on precomputed sentence embeddings.

Retrains in a fraction of a second on hundreds of labels, so the queue can be
re-ranked after every labeling batch while the transformer fine-tunes in the
background.  The output always has one column per class in ``classes_`` order,
including classes with no examples yet (probability 0) and the case where
only one class has been seen so far (LogisticRegression refuses to fit then;
the head predicts that class with probability 1).

BLAS runs single-threaded inside the head: these problems are small, and on a
busy shared 2-core machine two BLAS threads made a 500-label fit 20-30 times
slower (about 2 s instead of 0.07 s) by waiting on each other.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from .errors import InputError, UnknownLabelError


def _as_matrix(X, what: str = "X") -> np.ndarray:
    X = np.asarray(X)
    if X.dtype.kind not in "fiub":
        raise InputError(f"{what} must hold numbers, got dtype {X.dtype}")
    if X.dtype.kind != "f":
        X = X.astype(np.float64)
    if X.ndim != 2:
        raise InputError(f"{what} must be a 2-D array of embeddings, got shape {X.shape}")
    if not np.isfinite(X).all():
        raise InputError(f"{what} contains NaN or infinite values")
    return X


class EmbeddingHead(ClassifierMixin, BaseEstimator):
    """Logistic regression over embeddings with a fixed, ordered label set.

    Parameters
    ----------
    classes : list of str, optional
        Ordered label set; columns of ``predict_proba`` follow it.  Defaults to
        the sorted labels seen by ``fit``.
    C, max_iter
        Passed to :class:`sklearn.linear_model.LogisticRegression`.

    After ``fit``, ``X_train_`` holds the labelled embeddings (the "diverse"
    query strategy measures novelty against them).
    """

    def __init__(self, classes=None, C=1.0, max_iter=1000):
        self.classes = classes
        self.C = C
        self.max_iter = max_iter

    def fit(self, X, y):
        X = _as_matrix(X)
        if y is None or isinstance(y, (str, bytes)):
            raise InputError("y must be a sequence of label names")
        y = np.asarray([str(label) for label in y], dtype=object)
        if len(y) != len(X):
            raise InputError(f"got {len(X)} embeddings but {len(y)} labels")
        if len(y) == 0:
            raise InputError("cannot fit the head on an empty set of labels")
        if self.classes is None:
            classes = sorted(set(y))
        else:
            classes = [str(c) for c in self.classes]
            if len(set(classes)) != len(classes):
                raise InputError(f"classes contains duplicates: {classes!r}")
            unknown = sorted(set(y) - set(classes))
            if unknown:
                raise UnknownLabelError(unknown, classes)
        self.classes_ = np.asarray(classes, dtype=str)
        self.n_features_in_ = X.shape[1]
        self.X_train_ = X
        seen = sorted(set(y))
        if len(seen) == 1:
            self.estimator_ = None
            self.only_class_ = seen[0]
        else:
            with threadpool_limits(limits=1):
                self.estimator_ = LogisticRegression(C=self.C, max_iter=self.max_iter).fit(X, y)
            self.only_class_ = None
        index = {c: i for i, c in enumerate(classes)}
        fitted = self.estimator_.classes_ if self.estimator_ is not None else [self.only_class_]
        self.columns_ = np.asarray([index[c] for c in fitted], dtype=np.int64)
        return self

    def predict_proba(self, X) -> np.ndarray:
        """``(n, len(classes_))`` probabilities; classes never seen get 0."""
        check_is_fitted(self)
        X = _as_matrix(X)
        if X.shape[1] != self.n_features_in_:
            raise InputError(f"X has {X.shape[1]} features, the head was fitted on {self.n_features_in_}")
        out = np.zeros((len(X), len(self.classes_)), dtype=np.float64)
        if self.estimator_ is None:
            out[:, self.columns_[0]] = 1.0
        elif len(X):
            with threadpool_limits(limits=1):
                out[:, self.columns_] = self.estimator_.predict_proba(X)
        return out

    def predict(self, X) -> np.ndarray:
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)] if len(proba) else self.classes_[:0]
