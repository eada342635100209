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

The head is a linear function of :func:`head_features`: the embedding with its
mean component removed, rescaled to unit length. That is what a LayerNorm
computes (up to a constant factor), so :meth:`EmbeddingHead.linear` can be
written into a standard transformers classifier (:mod:`learner.export`) that
gives exactly the head's probabilities. On TREC-6 (MiniLM, C=10, 50-2000
random labels, 5 seeds) the centred features scored within 0.05 points of the
plain L2-normalised ones.

The label-name prior
--------------------
``prior`` gives the head one pseudo-example per class before any text of that
class is labeled: a ``(k, d)`` array whose row ``j`` is the embedding of the
name of ``classes[j]`` (by the encoder that embeds the pool). Every ``fit``
stacks these rows under the labeled ones with sample weight ``prior_weight``
(labeled rows weigh 1), so every class has a direction from the first fit on,
and a fit on texts of a single class (or none) is still a real model.

Measured on cached MiniLM embeddings (fast tier, margin, batches of 25, k-means
cold start, test sets, 3-8 seeds), labels needed to reach the accuracy random
sampling has at 500 labels, without -> with the prior: Banking77 350 -> 250,
SST-2 200 -> 150, SMS spam 150 -> 125, TREC-6 350 -> 275; the 77 Banking77 names
alone classify 62.4% of its test set. It hurts when the names say little about
the texts: SUBJ ("objective" / "subjective") 375 -> 475. Fading the prior as a
class gets labels lost most of the gain. Whether the loop uses it is the
``label_prior`` setting (``annotator.services.training.label_prior``).
"""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from .errors import InputError, UnknownLabelError

# Bias given to a class the head has never seen: its probability is exp(-1e4) = 0.
UNSEEN_LOGIT = -1e4


def head_features(X: np.ndarray) -> np.ndarray:
    """Rows centred (mean of the components removed) and scaled to unit length, float64."""
    X = np.asarray(X, dtype=np.float64)
    centred = X - X.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(centred, axis=1, keepdims=True)
    return centred / np.where(norms > 0, norms, 1.0)


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


def checked_prior(prior, classes, prior_weight, d: int) -> np.ndarray:
    """``prior`` as a ``(len(classes), d)`` matrix, or InputError (no classes, a wrong shape, a weight not above 0)."""
    if classes is None:
        raise InputError("a prior needs classes: one prior row per class, in classes order")
    prior = _as_matrix(prior, "prior")
    if prior.shape != (len(classes), d):
        raise InputError(f"prior must have one row per class and {d} columns: expected shape "
                         f"{(len(classes), d)}, got {prior.shape}")
    if isinstance(prior_weight, bool) or not isinstance(prior_weight, Real) or not prior_weight > 0:
        raise InputError(f"prior_weight must be a number above 0, got {prior_weight!r}")
    return prior


class EmbeddingHead(ClassifierMixin, BaseEstimator):
    """Logistic regression over embeddings with a fixed, ordered label set.

    Parameters
    ----------
    classes : list of str, optional
        Ordered label set; columns of ``predict_proba`` follow it.  Defaults to
        the sorted labels seen by ``fit``.
    C, max_iter
        Passed to :class:`sklearn.linear_model.LogisticRegression`.
    prior : array of shape (len(classes), d), optional
        One pseudo-example per class, in ``classes`` order (the label names'
        embeddings; see the module notes); needs ``classes``.
    prior_weight : float
        Sample weight of each prior row (each labelled row weighs 1).

    After ``fit``, ``X_train_`` holds the labelled embeddings only, never the
    prior rows (the "diverse" query strategy measures novelty against them).
    """

    def __init__(self, classes=None, C=1.0, max_iter=1000, prior=None, prior_weight=1.0):
        self.classes = classes
        self.C = C
        self.max_iter = max_iter
        self.prior = prior
        self.prior_weight = prior_weight

    def fit(self, X, y):
        X = _as_matrix(X)
        if y is None or isinstance(y, (str, bytes)):
            raise InputError("y must be a sequence of label names")
        y = np.asarray([str(label) for label in y], dtype=object)
        if len(y) != len(X):
            raise InputError(f"got {len(X)} embeddings but {len(y)} labels")
        if len(y) == 0 and self.prior is None:
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
        rows, targets, weights = X, y, None
        if self.prior is not None:
            prior = self._checked_prior(X.shape[1])
            rows = np.vstack([X, prior])
            targets = np.concatenate([y, np.asarray(classes, dtype=object)])
            weights = np.concatenate([np.ones(len(X)), np.full(len(prior), float(self.prior_weight))])
        seen = sorted(set(targets))
        if len(seen) == 1:
            self.estimator_ = None
            self.only_class_ = seen[0]
        else:
            with threadpool_limits(limits=1):
                self.estimator_ = LogisticRegression(C=self.C, max_iter=self.max_iter).fit(
                    head_features(rows), targets, sample_weight=weights)
            self.only_class_ = None
        index = {c: i for i, c in enumerate(classes)}
        fitted = self.estimator_.classes_ if self.estimator_ is not None else [self.only_class_]
        self.columns_ = np.asarray([index[c] for c in fitted], dtype=np.int64)
        return self

    def _checked_prior(self, d: int) -> np.ndarray:
        return checked_prior(self.prior, self.classes, self.prior_weight, d)

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
                out[:, self.columns_] = self.estimator_.predict_proba(head_features(X))
        return out

    def linear(self) -> tuple[np.ndarray, np.ndarray]:
        """``(coef, intercept)``, shapes ``(k, d)`` and ``(k,)`` in ``classes_`` order, such that
        ``softmax(head_features(X) @ coef.T + intercept)`` equals :meth:`predict_proba`.

        A two-class logistic regression becomes the logits ``(0, w.x + b)``; a class never
        seen gets the bias :data:`UNSEEN_LOGIT`; a head that saw one class only
        gives that class a constant logit of 0 and the others UNSEEN_LOGIT.
        """
        check_is_fitted(self)
        k, d = len(self.classes_), self.n_features_in_
        coef = np.zeros((k, d), dtype=np.float64)
        intercept = np.full(k, UNSEEN_LOGIT, dtype=np.float64)
        if self.estimator_ is None:
            intercept[self.columns_[0]] = 0.0
            return coef, intercept
        w, b = self.estimator_.coef_, self.estimator_.intercept_
        if len(self.columns_) == 2 and w.shape[0] == 1:
            coef[self.columns_[0]], intercept[self.columns_[0]] = 0.0, 0.0
            coef[self.columns_[1]], intercept[self.columns_[1]] = w[0], b[0]
        else:
            coef[self.columns_] = w
            intercept[self.columns_] = b
        return coef, intercept

    def predict(self, X) -> np.ndarray:
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)] if len(proba) else self.classes_[:0]
