"""When the worker refreshes and fine-tunes: what counts as a new label, and the fine-tune minimum.

Only labels the model can train on count: a label on an evaluation item never
starts a refresh or a fine-tune (importing a labeled evaluation set of 171
texts once counted as 171 new labels, and the first fine-tune then ran on the
2 labels an annotator had given). No fine-tune runs before at least two labels
each have ``finetune_min_per_class`` training examples: one rule for the
worker, ``labelloop train`` and ``labelloop simulate``. In a multi-label project a label's
training examples are the training texts whose final set holds it (a text with two labels
counts for both). Stdlib only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from annotator.services.label_mode import is_multi_label
from annotator.services.label_set_finals import resolved_sets
from annotator.services.labelset import get_labels
from annotator.store.label_sets import current_label_sets
from annotator.store.trainset import training_examples_per_label, training_labels_since


def watermark(version: Mapping[str, Any] | None) -> int:
    """The newest label row id a published version had seen (0 before any version)."""
    return int((version or {}).get("watermark") or 0)


def new_training_labels(db, version: Mapping[str, Any] | None) -> int:
    """Training label rows saved after ``version`` was made (all of them before any version)."""
    return training_labels_since(db, watermark(version))


def blocker_now(db, min_per_class: int) -> str | None:
    """:func:`finetune_blocker` of the project's training examples as they are now."""
    return finetune_blocker(examples_per_label(db), min_per_class, label_sets=is_multi_label(db))


def examples_per_label(db) -> dict[str, int]:
    """Label name -> training examples that hold it (see the module notes for label sets)."""
    if not is_multi_label(db):
        return training_examples_per_label(db)
    sets = resolved_sets(current_label_sets(db, evaluation=False), get_labels(db))
    return dict(Counter(name for _, names in sets for name in names))


def finetune_blocker(per_label: Mapping[str, int], min_per_class: int, *, label_sets: bool = False) -> str | None:
    """Why a fine-tune may not run yet (one line), or None when it may.

    ``per_label``: training examples per label name (``label_sets``: texts whose set holds it).
    """
    ready = sorted(name for name, n in per_label.items() if n >= min_per_class)
    if len(ready) >= 2:
        return None
    have = ", ".join(f"{name} {n}" for name, n in sorted(per_label.items(), key=lambda item: -item[1])[:5])
    each = f"{min_per_class} training texts holding it" if label_sets else f"{min_per_class} training labels each"
    return (
        f"fine-tuning needs at least two labels with {each} "
        f"(setting finetune_min_per_class); have: {have or 'no training labels'}"
    )
