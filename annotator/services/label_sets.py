"""How a multi-label set is shown and read back on the labeling card: its text, the model's
suggested set. (Saving a set is :func:`annotator.services.queue.save_label_set`.)"""

from __future__ import annotations

import json
from collections.abc import Iterable

NONE_OF_THESE = "none of these"
SET_JOINER = " + "


def set_text(names: Iterable[str]) -> str:
    """``joy + fear``; the empty set is ``none of these``."""
    names = list(names)
    return SET_JOINER.join(names) if names else NONE_OF_THESE


def suggested_set(predicted: str | None, labels: list[str]) -> list[str] | None:
    """The model's suggested set from a ranking's ``predicted`` cell (a JSON list of names in a
    multi-label project; a single name is a set of one), in label-set order; None when there is no
    suggestion or it names a label no longer in the set."""
    if predicted is None:
        return None
    try:
        names = json.loads(predicted) if predicted.startswith("[") else [predicted]
    except json.JSONDecodeError:
        return None
    if not isinstance(names, list) or any(name not in labels for name in names):
        return None
    return [name for name in labels if name in names]
