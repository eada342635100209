"""Import a data file into a project's pool, optionally with labels.

The whole import is one write transaction: the file is parsed and every row
validated first, and any problem raises a one-line :class:`InputError` before
anything is written, so a bad file leaves the database exactly as it was.

* A text already in the pool (same :func:`text_hash`) is not added again; a
  text repeated within the file is added once and counted as a duplicate.
* With ``label_column``, each row's label is saved for ``annotator`` (kind
  ``import``). An empty label cell means "no label for this row". The label
  must already be in the label set. One annotator has at most one current label
  per example: a different label supersedes the older one, the same label is
  left alone (re-importing a file changes nothing); within one file the later
  row wins.
* Other columns are kept as a JSON object in ``examples.meta``.
* ``eval_set=True`` marks the file's examples as the reserved evaluation set
  (``is_eval``; the loop never trains on them), including ones already in the pool.

This module never prints: the CLI and the UI both call :func:`import_file`.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from annotator.errors import InputError, LabelSetError
from annotator.io.readers import Records, read_records
from annotator.store.bulk_labels import current_labels_by, insert_labels, supersede_labels
from annotator.store.connection import write_transaction
from annotator.store.examples import ids_by_hash, insert_examples, mark_eval, text_hash
from annotator.store.project import Project
from annotator.store.settings import get_labels

IMPORT_KIND = "import"


@dataclass
class ImportSummary:
    """What an import did; every count is of this one file."""

    path: str
    format: str
    rows_read: int = 0
    examples_added: int = 0
    duplicates_in_file: int = 0
    already_in_pool: int = 0
    labels_added: int = 0
    labels_superseded: int = 0
    labels_unchanged: int = 0
    rows_without_label: int = 0
    marked_eval: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        """A short human summary, one fact a line."""
        lines = [
            f"read {self.rows_read} rows from {self.path} ({self.format})",
            f"added {self.examples_added} examples to the pool",
            f"skipped {self.duplicates_in_file} duplicates within the file",
            f"skipped {self.already_in_pool} texts already in the pool",
        ]
        if self.labels_added or self.labels_superseded or self.labels_unchanged or self.rows_without_label:
            lines.append(
                f"labels: {self.labels_added} added, {self.labels_superseded} superseded, "
                f"{self.labels_unchanged} unchanged, {self.rows_without_label} rows without a label"
            )
        if self.marked_eval:
            lines.append(f"marked {self.marked_eval} examples as the evaluation set")
        return "\n".join(lines)


@dataclass
class _Item:
    """One unique text of the file."""

    text_hash: str
    text: str
    ext_id: str | None
    meta: str | None
    label: str | None


def import_file(
    project: Project,
    path: str | os.PathLike,
    *,
    text_column: str = "text",
    label_column: str | None = None,
    id_column: str | None = None,
    annotator: str = "import",
    fmt: str | None = None,
    eval_set: bool = False,
) -> ImportSummary:
    """Import ``path`` into ``project`` in one transaction; see the module docstring."""
    if not isinstance(annotator, str) or not annotator.strip() or annotator != annotator.strip():
        raise InputError(f"invalid annotator name {annotator!r}")
    records = read_records(path, fmt)
    summary = ImportSummary(path=str(path), format=records.fmt, rows_read=len(records))
    labelset = get_labels(project.db)
    items = _validate(records, labelset, text_column, label_column, id_column, summary)
    source = Path(path).name
    with write_transaction(project.db) as conn:
        _write(conn, items, source, annotator, eval_set, summary)
    return summary


def _validate(
    records: Records,
    labelset: list[str],
    text_column: str,
    label_column: str | None,
    id_column: str | None,
    summary: ImportSummary,
) -> dict[str, _Item]:
    """Check every row; return the file's unique texts by hash, in first-seen order."""
    wanted = [("text", text_column), ("label", label_column), ("id", id_column)]
    wanted = [(role, name) for role, name in wanted if name]
    if records.fmt in ("csv", "tsv", "parquet"):
        for role, name in wanted:
            if name not in records.columns:
                raise InputError(
                    f"{records.path}: header: no {role} column {name!r} "
                    f"(columns: {', '.join(records.columns) or 'none'})"
                )
    known = set(labelset)
    reserved = {name for _, name in wanted}
    items: dict[str, _Item] = {}
    for index, row in enumerate(records.rows):
        for role, name in wanted:
            if name not in row:
                raise records.error(index, f"no {role} field {name!r}")
        text = row[text_column]
        if not isinstance(text, str):
            raise records.error(index, f"non-text value in column {text_column!r} ({_kind(text)})")
        if not text.strip():
            raise records.error(index, f"empty text in column {text_column!r}")
        label = _label_value(records, index, row, label_column, known, labelset)
        ext_id = _id_value(records, index, row, id_column)
        digest = text_hash(text)
        if label_column and label is None:
            summary.rows_without_label += 1
        existing = items.get(digest)
        if existing is not None:
            summary.duplicates_in_file += 1
            if label is not None:
                existing.label = label  # within one file the later row wins
            continue
        meta = {key: value for key, value in row.items() if key not in reserved}
        items[digest] = _Item(
            text_hash=digest,
            text=text,
            ext_id=ext_id,
            meta=json.dumps(meta, ensure_ascii=False, default=str) if meta else None,
            label=label,
        )
    return items


def _label_value(
    records: Records, index: int, row: dict[str, Any], column: str | None, known: set[str], labelset: list[str]
) -> str | None:
    if not column:
        return None
    value = row[column]
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise records.error(index, f"non-text value in column {column!r} ({_kind(value)})")
    value = value.strip()
    if not value:
        return None
    if value not in known:
        raise LabelSetError(
            f"{records.path}: {records.places[index]}: label {value!r} is not in the label set "
            f"({', '.join(labelset)})"
        )
    return value


def _id_value(records: Records, index: int, row: dict[str, Any], column: str | None) -> str | None:
    if not column:
        return None
    value = row[column]
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise records.error(index, f"non-text value in column {column!r} ({_kind(value)})")
    return str(value).strip()


def _kind(value: Any) -> str:
    if value is None:
        return "empty"
    return type(value).__name__


def _write(conn, items: dict[str, _Item], source: str, annotator: str, eval_set: bool, summary: ImportSummary) -> None:
    now = time.time()
    existing = ids_by_hash(conn, items)
    summary.already_in_pool = len(existing)
    new = [item for digest, item in items.items() if digest not in existing]
    new_ids = insert_examples(
        conn, [(i.ext_id, i.text, i.meta, source, i.text_hash, int(eval_set), now) for i in new]
    )
    summary.examples_added = len(new_ids)
    ids = dict(existing)
    ids.update(zip((item.text_hash for item in new), new_ids))
    if eval_set and existing:
        summary.marked_eval = mark_eval(conn, existing.values())
    if eval_set:
        summary.marked_eval += len(new)
    labeled = [(ids[i.text_hash], i.label) for i in items.values() if i.label is not None]
    if not labeled:
        return
    current = current_labels_by(conn, (ids[d] for d in existing if items[d].label is not None), [annotator])
    to_add, to_supersede = [], []
    for example_id, label in labeled:
        before = current.get((example_id, annotator))
        if before == label:
            summary.labels_unchanged += 1
            continue
        if before is not None:
            to_supersede.append((example_id, annotator))
        to_add.append((example_id, label, annotator, IMPORT_KIND, now))
    summary.labels_superseded = supersede_labels(conn, to_supersede, now)
    summary.labels_added = insert_labels(conn, to_add)
