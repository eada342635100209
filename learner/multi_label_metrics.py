"""Model quality for multi-label predictions: micro- and macro-F1, per-label precision/recall/F1,
subset accuracy and Hamming loss. Plain Python out (JSON-ready), like :mod:`learner.metrics`.

* ``micro_f1``: F1 of all (text, label) decisions pooled;
* ``macro_f1``: the mean of per-label F1 over the labels that occur in the gold sets or the
  predictions (a label absent from both says nothing about the model), as in :func:`learner.metrics.evaluate`;
* ``subset_accuracy``: the share of texts whose predicted set is exactly the gold set;
* ``hamming_loss``: the share of (text, label) decisions that are wrong.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .errors import InputError
from .multi_label_head import indicator_matrix


def _matrix(sets_or_matrix, labels: Sequence[str]) -> np.ndarray:
    if isinstance(sets_or_matrix, np.ndarray) and sets_or_matrix.ndim == 2:
        if sets_or_matrix.shape[1] != len(labels):
            raise InputError(f"a 0/1 matrix needs one column per label ({len(labels)}), got {sets_or_matrix.shape}")
        return (sets_or_matrix != 0).astype(np.int64)
    return indicator_matrix(sets_or_matrix, labels).astype(np.int64)


def evaluate_sets(y_true, y_pred, labels: Sequence[str]) -> dict:
    """Compare gold label sets with predicted ones (lists of names or ``(n, k)`` 0/1 matrices over ``labels``)."""
    labels = [str(label) for label in labels]
    truth, pred = _matrix(y_true, labels), _matrix(y_pred, labels)
    if truth.shape != pred.shape:
        raise InputError(f"got {len(truth)} gold sets but {len(pred)} predictions")
    if not len(truth):
        raise InputError("cannot evaluate on an empty set")
    tp = (truth & pred).sum(axis=0)
    fp = ((1 - truth) & pred).sum(axis=0)
    fn = (truth & (1 - pred)).sum(axis=0)
    precision = np.divide(tp, tp + fp, out=np.zeros(len(labels)), where=(tp + fp) > 0)
    recall = np.divide(tp, tp + fn, out=np.zeros(len(labels)), where=(tp + fn) > 0)
    f1 = np.divide(2 * tp, 2 * tp + fp + fn, out=np.zeros(len(labels)), where=(2 * tp + fp + fn) > 0)
    used = (truth.sum(axis=0) + pred.sum(axis=0)) > 0
    pooled = 2 * tp.sum() + fp.sum() + fn.sum()
    return {
        "n": int(len(truth)),
        "micro_f1": float(2 * tp.sum() / pooled) if pooled else 0.0,
        "macro_f1": float(f1[used].mean()) if used.any() else 0.0,
        "subset_accuracy": float((truth == pred).all(axis=1).mean()),
        "hamming_loss": float((truth != pred).mean()),
        "labels": labels,
        "per_label": {
            label: {"precision": float(precision[j]), "recall": float(recall[j]), "f1": float(f1[j]),
                    "support": int(truth[:, j].sum())}
            for j, label in enumerate(labels)
        },
    }
