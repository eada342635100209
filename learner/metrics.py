"""Model quality: accuracy, macro-F1, per-class precision/recall/F1, confusion matrix.

Everything returned is plain Python (floats, ints, lists, dicts) so it can go
straight into JSON or SQLite.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from .errors import InputError


def evaluate(y_true, y_pred, labels=None) -> dict:
    """Compare gold labels with predictions.

    ``labels`` fixes the order of ``per_class`` and of the confusion matrix
    rows (gold) and columns (predicted); by default the sorted union of both
    label lists.  ``macro_f1`` averages F1 over the labels that occur in
    ``y_true`` or ``y_pred`` (a label absent from both says nothing about the
    model and would only drag the mean down); labels in the data but missing
    from ``labels`` are an error.
    """
    y_true = [str(v) for v in y_true]
    y_pred = [str(v) for v in y_pred]
    if len(y_true) != len(y_pred):
        raise InputError(f"got {len(y_true)} gold labels but {len(y_pred)} predictions")
    if not y_true:
        raise InputError("cannot evaluate on an empty set")
    present = sorted(set(y_true) | set(y_pred))
    labels = present if labels is None else [str(v) for v in labels]
    missing = sorted(set(present) - set(labels))
    if missing:
        raise InputError(f"labels {missing!r} occur in the data but not in labels={labels!r}")
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0
    )
    used = [i for i, label in enumerate(labels) if label in set(present)]
    matrix = confusion_matrix(y_true, y_pred, labels=labels)
    truth, pred = np.asarray(y_true, dtype=object), np.asarray(y_pred, dtype=object)
    return {
        "n": len(y_true),
        "accuracy": float(np.mean(truth == pred)),
        "macro_f1": float(np.mean(f1[used])) if used else 0.0,
        "labels": list(labels),
        "per_class": {
            label: {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i, label in enumerate(labels)
        },
        "confusion_matrix": matrix.astype(int).tolist(),
    }
