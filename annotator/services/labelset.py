"""The label set: its order, and the rules a label name follows."""

from __future__ import annotations

import sqlite_utils

from annotator.errors import LabelSetError
from annotator.store.settings import append_labels, label_names

MAX_LABEL_CHARS = 100


def get_labels(db: sqlite_utils.Database) -> list[str]:
    """The label set in its display order."""
    return label_names(db)


def check_label_name(name: str) -> str:
    """``name`` if it can be a label; LabelSetError (one line) otherwise."""
    if not isinstance(name, str) or not name.strip():
        raise LabelSetError("a label must be a non-empty text")
    if name != name.strip():
        raise LabelSetError(f"label {name!r} has leading or trailing spaces")
    if any(ch in name for ch in "\n\r\t"):
        raise LabelSetError(f"label {name!r} contains a line break or tab")
    if len(name) > MAX_LABEL_CHARS:
        raise LabelSetError(f"label {name[:30]!r}... is longer than {MAX_LABEL_CHARS} characters")
    return name


def add_labels(db: sqlite_utils.Database, names: list[str]) -> list[str]:
    """Append new labels at the end of the set; the whole set after. Existing names are an error."""
    names = [check_label_name(name) for name in names]
    if len(set(names)) != len(names):
        raise LabelSetError("the label list names a label twice")
    clash = append_labels(db, names)
    if clash:
        raise LabelSetError(f"label {clash[0]!r} is already in the label set")
    return get_labels(db)
