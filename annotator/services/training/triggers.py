"""When the worker refreshes and fine-tunes: what counts as a new label, and the fine-tune minimum.

Only labels the model can train on count: a label on an evaluation item never
starts a refresh or a fine-tune (importing a labeled evaluation set of 171
texts once counted as 171 new labels, and the first fine-tune then ran on the
2 labels an annotator had given). No fine-tune runs before at least two labels
each have ``finetune_min_per_class`` training examples: one rule for the
worker, ``labelloop train`` and ``labelloop simulate``. Stdlib only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from annotator.store.trainset import training_labels_since


def watermark(version: Mapping[str, Any] | None) -> int:
    """The newest label row id a published version had seen (0 before any version)."""
    return int((version or {}).get("watermark") or 0)


def new_training_labels(db, version: Mapping[str, Any] | None) -> int:
    """Training label rows saved after ``version`` was made (all of them before any version)."""
    return training_labels_since(db, watermark(version))


def finetune_blocker(per_label: Mapping[str, int], min_per_class: int) -> str | None:
    """Why a fine-tune may not run yet (one line), or None when it may.

    ``per_label``: training examples per label name.
    """
    ready = sorted(name for name, n in per_label.items() if n >= min_per_class)
    if len(ready) >= 2:
        return None
    have = ", ".join(f"{name} {n}" for name, n in sorted(per_label.items(), key=lambda item: -item[1])[:5])
    return (
        f"fine-tuning needs at least two labels with {min_per_class} training labels each "
        f"(setting finetune_min_per_class); have: {have or 'no training labels'}"
    )
