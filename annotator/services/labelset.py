"""The label set: its order, the rules a label name follows, and changing it (rename, merge, delete).

* A name is a non-empty text of at most 100 characters, without surrounding spaces, line breaks
  or tabs, and no two labels differ only in case (``Positive`` beside ``positive`` is refused:
  they would be one label to a reader and two to the model).
* **Rename** keeps every stored label's meaning: each label row, suggestion and prediction of
  the old name takes the new one, in its place in the order.
* **Merge** ``FROM`` into ``INTO``: every label row giving ``FROM`` gives ``INTO`` from now on and
  keeps what it was given in ``original_label`` (the raw export shows both); ``FROM`` leaves the set.
* **Delete** refuses while any label row (current or in the history) gives the label, unless
  they are moved to another label (``move_to``: a merge recorded as a delete).

Each change is one transaction, checked inside it, and recorded in ``label_changes`` with who
made it. The worker trains on the stored labels, so the model's next version uses the new
label set (the current one keeps its classes; a rename renames them too).
"""

from __future__ import annotations

import difflib
import time

import sqlite_utils

from annotator.errors import LabelSetError, shown
from annotator.store import labelset as change_store
from annotator.store.connection import write_transaction
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


def closest_label(value: str, labels: list[str]) -> str | None:
    """The label ``value`` was most likely meant to be: the same in another case, else the closest
    spelling (difflib), else None."""
    folded = value.casefold().strip()
    for name in labels:
        if name.casefold() == folded:
            return name
    close = difflib.get_close_matches(value, labels, n=1, cutoff=0.6)
    if not close:
        by_case = {name.casefold(): name for name in labels}
        close = [by_case[match] for match in difflib.get_close_matches(folded, list(by_case), n=1, cutoff=0.6)]
    return close[0] if close else None


def did_you_mean(value: str, labels: list[str]) -> str:
    """`` (did you mean 'positive'?)`` when a label is close to ``value``; "" otherwise."""
    close = closest_label(value, labels)
    return f" (did you mean {close!r}?)" if close is not None else ""


def _no_case_twin(name: str, existing: list[str], *, besides: str | None = None) -> None:
    for other in existing:
        if other != besides and other != name and other.casefold() == name.casefold():
            raise LabelSetError(f"label {name!r} differs from {other!r} only in case; use {other!r}")


def add_labels(db: sqlite_utils.Database, names: list[str], *, actor: str | None = None) -> list[str]:
    """Append new labels at the end of the set; the whole set after. Existing names are an error."""
    names = [check_label_name(name) for name in names]
    if len({name.casefold() for name in names}) != len(names):
        raise LabelSetError("the label list names a label twice (labels differing only in case are one label)")
    with write_transaction(db) as conn:
        existing = change_store.label_names(conn)
        for name in names:
            if name not in existing:
                _no_case_twin(name, existing)
        clash = append_labels(db, names)
        if clash:
            raise LabelSetError(f"label {clash[0]!r} is already in the label set")
        now = time.time()
        for name in names:
            change_store.record_change(conn, "add", name, None, 0, actor, now)
    return get_labels(db)


def _known(name: str, labels: list[str], role: str = "label") -> str:
    if name not in labels:
        raise LabelSetError(f"no {role} {shown(name)} in the label set{did_you_mean(str(name), labels)}")
    return name


def rename_label(db: sqlite_utils.Database, old: str, new: str, *, actor: str | None = None) -> int:
    """Rename ``old`` to ``new`` everywhere (one transaction, recorded); the label rows renamed."""
    new = check_label_name(new)
    with write_transaction(db) as conn:
        labels = change_store.label_names(conn)
        _known(old, labels)
        if new == old:
            raise LabelSetError(f"label {old!r} already has that name")
        if new in labels:
            raise LabelSetError(f"label {new!r} is already in the label set: to join the two, merge {old!r} into it")
        _no_case_twin(new, labels, besides=old)
        changed = change_store.rename_label(conn, old, new)
        change_store.record_change(conn, "rename", old, new, changed, actor, time.time())
    return changed


def merge_labels(db: sqlite_utils.Database, source: str, target: str, *, actor: str | None = None,
                 action: str = "merge") -> int:
    """Move every label of ``source`` to ``target`` and remove ``source`` (one transaction, recorded);
    the label rows moved."""
    with write_transaction(db) as conn:
        labels = change_store.label_names(conn)
        _known(source, labels)
        _known(target, labels, "label to move to" if action == "delete" else "label")
        if source == target:
            raise LabelSetError(f"cannot {'move' if action == 'delete' else 'merge'} {source!r} into itself")
        moved = change_store.move_labels(conn, source, target)
        change_store.record_change(conn, action, source, target, moved, actor, time.time())
    return moved


def delete_label(db: sqlite_utils.Database, name: str, *, move_to: str | None = None,
                 actor: str | None = None) -> int:
    """Remove ``name`` from the set; refused while labels give it, unless ``move_to`` another label
    (they move there first). The label rows moved."""
    if move_to is not None:
        return merge_labels(db, name, move_to, actor=actor, action="delete")
    with write_transaction(db) as conn:
        labels = change_store.label_names(conn)
        _known(name, labels)
        if len(labels) == 1:
            raise LabelSetError(f"{name!r} is the only label: a project keeps at least one")
        use = change_store.label_use(conn, name)
        if use["rows"]:
            raise LabelSetError(
                f"label {name!r} is given by {use['rows']:,} label rows ({use['current']:,} current, the rest in the "
                "history): move them to another label first (labels delete LABEL --move-to OTHER)"
            )
        change_store.delete_label(conn, name)
        change_store.record_change(conn, "delete", name, None, 0, actor, time.time())
    return 0


def label_changes(db: sqlite_utils.Database, *, limit: int = 100) -> list[dict]:
    """The label set's recorded changes, newest first (action, label, target, rows_changed, actor, created_at)."""
    return change_store.label_changes(db.conn, limit=limit)


def label_use(db: sqlite_utils.Database, name: str) -> dict[str, int]:
    """How many label rows give ``name`` (``rows``, history included) and how many are ``current``."""
    return change_store.label_use(db.conn, name)
