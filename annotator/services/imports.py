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
* Other columns are kept as a JSON object in ``examples.meta``; ``context_columns`` names
  those the Label page shows beside each text (added to the ``context_columns`` setting in
  the import's transaction; each must be one of the file's other columns).
* ``eval_set=True`` marks the file's examples as the reserved evaluation set
  (``is_eval``; the loop never trains on them), including ones already in the pool.
* Limits (:class:`~annotator.io.limits.ReadLimits`, with ``max_text_chars``
  from the project's setting) bound the file, each row, each text and each
  row's metadata; what a valid row holds is :mod:`annotator.services.import_checks`.
* A Labelloop export is recognised by its header (:data:`EXPORT_HEADERS`), so
  the quotes its CSV writer added against spreadsheet formulas are removed
  again and an export imports back to the same texts.

This module never prints: the CLI and the UI both call :func:`import_file`.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from annotator.errors import InputError, LabelSetError, StoreError, one_line, shown
from annotator.io.formats import READ_EXTENSIONS, READ_FORMATS  # noqa: F401 - the formats imports accept
from annotator.io.limits import ReadLimits
from annotator.io.readers import RecordStream, open_records
from annotator.services.exports import EXPORT_HEADERS
from annotator.services.import_checks import ImportItem, RowChecker
from annotator.services.label_mode import is_multi_label
from annotator.services.labelset import get_labels
from annotator.services.settings import get_setting, set_settings
from annotator.store.bulk_labels import current_labels_by, insert_labels, supersede_labels
from annotator.store.connection import database_errors, write_transaction
from annotator.store.examples import ids_by_hash, insert_examples, mark_eval, metadata_keys
from annotator.store.label_sets import current_sets_by, insert_label_sets
from annotator.store.project import Project

IMPORT_KIND = "import"
_SOURCE_CHARS = 255


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


def metadata_columns(project: Project) -> list[str]:
    """The other columns the pool's texts carry (of the newest 2,000 texts): what the Project page
    offers as context columns."""
    return metadata_keys(project.db)


def import_limits(project: Project) -> ReadLimits:
    """The limits an import into ``project`` runs under (``max_text_chars`` is a project setting)."""
    return ReadLimits(max_text_chars=int(get_setting(project.db, "max_text_chars")))


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
    name: str | None = None,
    limits: ReadLimits | None = None,
    context_columns: list[str] | None = None,
    label_separator: str | None = None,
) -> ImportSummary:
    """Import ``path`` into ``project`` in one transaction; see the module docstring.

    ``name`` is how messages and the summary call the file (default: the
    path); ``limits`` default to :func:`import_limits`. In a multi-label project a label cell is a set:
    a list, a JSON list, or names joined by ``label_separator`` (see :func:`label_set_cell`).
    """
    if not isinstance(annotator, str) or not annotator.strip() or annotator != annotator.strip() \
            or not annotator.isprintable():
        raise InputError(f"invalid annotator name {shown(annotator)}")
    name = name or str(path)
    multi_label = is_multi_label(project.db)
    if label_separator is not None and (not multi_label or not label_column or not label_separator.strip()):
        raise InputError("--label-separator needs a multi-label project, a --label-column and a visible separator")
    checker = RowChecker(get_labels(project.db), text_column, label_column, id_column,
                         limits or import_limits(project), multi_label=multi_label, label_separator=label_separator)
    with open_records(path, fmt, limits=checker.limits, name=name, exported_headers=EXPORT_HEADERS) as stream:
        checker.check_columns(stream)
        summary = ImportSummary(path=one_line(name), format=stream.fmt)
        items = _unique_items(stream, checker, summary)
        shown_columns = _context_columns(project, stream, checker, context_columns)
    try:
        with write_transaction(project.db) as conn:
            _write(conn, items, _source_name(path), annotator, eval_set, summary)
            if context_columns:
                set_settings(project.db, context_columns=",".join(shown_columns))
    except database_errors() as error:
        raise StoreError(
            f"could not write to the project database ({_first_cause(error)}); nothing was imported"
        ) from None
    return summary


def _context_columns(project: Project, stream: RecordStream, checker: RowChecker,
                     wanted: list[str] | None) -> list[str]:
    """The ``context_columns`` setting after this import: the ones set before, then ``wanted``, each
    checked to be one of the file's other columns (InputError otherwise)."""
    before = [name.strip() for name in get_setting(project.db, "context_columns").split(",") if name.strip()]
    for column in wanted or []:
        if column in checker.reserved:
            raise InputError(f"{stream.name}: column {shown(column)} is the text, label or id column, not context")
        if column not in stream.columns or "," in column:
            listed = ", ".join(c for c in stream.columns if c not in checker.reserved) or "none"
            raise InputError(f"{stream.name}: no column {shown(column)} to show beside the texts (other columns: "
                             f"{listed[:300]})")
    return list(dict.fromkeys([*before, *(wanted or [])]))


def _unique_items(stream: RecordStream, checker: RowChecker, summary: ImportSummary) -> dict[str, ImportItem]:
    """Check every row; return the file's unique texts by hash, in first-seen order.

    A row with a problem does not stop the check: up to :data:`MAX_REPORTED` of them are reported
    at once (:class:`RowProblems`), so a file is fixed in one go. A file the reader cannot go on
    reading (a malformed line, a row over the limits) stops it there."""
    items: dict[str, ImportItem] = {}
    problems = RowProblems(stream.name)
    try:
        for place, row in stream:
            summary.rows_read += 1
            try:
                item = checker.item(stream, place, row)
            except InputError as error:
                problems.add(error)
                continue
            _keep(items, item, checker, summary)
    except InputError as error:
        problems.add(error)
    problems.raise_if_any()
    return items


MAX_REPORTED = 10  # rows with a problem named in one error


class RowProblems:
    """The problems found in a file's rows, raised as one error of one line."""

    def __init__(self, name: str):
        self.name, self.errors, self.count = name, [], 0

    def add(self, error: InputError) -> None:
        self.count += 1
        if len(self.errors) < MAX_REPORTED:
            self.errors.append(error)

    def raise_if_any(self) -> None:
        if not self.errors:
            return
        if self.count == 1:
            raise self.errors[0]
        prefix = f"{self.name}: "
        parts = [str(error).removeprefix(prefix) for error in self.errors]
        more = f" (the first {len(parts)} shown)" if self.count > len(parts) else ""
        kind = LabelSetError if all(isinstance(error, LabelSetError) for error in self.errors) else InputError
        raise kind(f"{self.name}: {self.count} rows have problems{more}, nothing was imported: " + "; ".join(parts))


def _keep(items: dict[str, ImportItem], item: ImportItem, checker: RowChecker, summary: ImportSummary) -> None:
    """Add a checked row's item, or count it as a repeat of one already in the file."""
    if checker.label_column and item.label is None:
        summary.rows_without_label += 1
    existing = items.get(item.text_hash)
    if existing is None:
        items[item.text_hash] = item
        return
    summary.duplicates_in_file += 1
    if item.label is not None:
        existing.label = item.label  # within one file the later row wins


def _source_name(path: str | os.PathLike) -> str:
    """The file's name as ``examples.source`` keeps it: valid Unicode, at most 255 characters."""
    text = Path(path).name.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return text[:_SOURCE_CHARS]


def _first_cause(error: BaseException) -> str:
    """The message of the first database error in ``error``'s chain.

    When SQLite has already rolled a failed transaction back (a full disk),
    the rollback that follows fails with "cannot rollback - no transaction is
    active", which would hide the reason.
    """
    cause: BaseException | None = error
    first = error
    while cause is not None:
        if isinstance(cause, database_errors()):
            first = cause
        cause = cause.__context__
    return str(first) or type(first).__name__


def _write(conn, items: dict[str, ImportItem], source: str, annotator: str, eval_set: bool,
           summary: ImportSummary) -> None:
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
    existing_labeled = [ids[d] for d in existing if items[d].label is not None]
    if isinstance(labeled[0][1], tuple):  # a multi-label project: sets, the same set in any order unchanged
        current = {(example_id, annotator): names
                   for example_id, names in current_sets_by(conn, existing_labeled, annotator).items()}
        labeled = [(example_id, frozenset(names), names) for example_id, names in labeled]
        insert = insert_label_sets
    else:
        current = current_labels_by(conn, existing_labeled, [annotator])
        labeled = [(example_id, label, label) for example_id, label in labeled]
        insert = insert_labels
    to_add, to_supersede = [], []
    for example_id, compared, label in labeled:
        before = current.get((example_id, annotator))
        if before == compared:
            summary.labels_unchanged += 1
            continue
        if before is not None:
            to_supersede.append((example_id, annotator))
        to_add.append((example_id, label, annotator, IMPORT_KIND, now))
    summary.labels_superseded = supersede_labels(conn, to_supersede, now)
    summary.labels_added = insert(conn, to_add)
