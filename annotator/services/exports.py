"""Export a project's labels: final labels per example, or every raw label row.

Final label of an example (:func:`final_labels`):

1. the latest current lead adjudication (``labels.kind = 'adjudication'``), if any;
2. otherwise the majority of the current labels (one per annotator). A tie is
   reported in the ``tie`` column (the list of tied labels, in label-set
   order) and resolved deterministically: the tied label that comes first in
   the label set.

Provenance columns: ``annotators`` (the sorted list of names), ``n_labels``
(current non-adjudication labels), ``agreement`` (fraction of those that agree
with the final label; empty when there are none), ``adjudicated_by``,
``model_version`` (the latest one that served the example to an annotator);
``flags`` and ``comments``: what annotators said about the text
(:mod:`annotator.services.flags`), e.g. ``["ambiguous (ann1): billing or account?"]``.

``tie``, ``annotators``, ``flags`` and ``comments`` are lists, because label and
user names may hold any separator: real lists in JSONL and Parquet, JSON arrays
in a CSV cell (``["neg", "neutral"]``).

Raw export: every label row (current and superseded), then every flag and
comment as a row of its own (``kind`` flag or comment, the words in ``note``).

Round trip: importing an export with ``label_column="label"`` into a fresh
project with the same label set gives the same final labels. The importer
recognises an export by its header (:data:`EXPORT_HEADERS`).

Library functions only (no printing); the CLI and the lead's pages call them.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import groupby
from operator import itemgetter
from typing import Any

from annotator.errors import InputError
from annotator.io.formats import WRITE_FORMATS  # noqa: F401 - the formats exports write
from annotator.io.writers import CsvCells, neutralise_cell, write_csv_cells, write_rows
from annotator.services.flags import comment_line, flag_text_line
from annotator.services.label_mode import is_multi_label
from annotator.services.label_set_finals import FINAL_SET_COLUMNS, SET_LIST_COLUMNS, final_set_row, joined_labels
from annotator.services.labelset import get_labels
from annotator.store.label_rows import (
    CURRENT_LABEL_COLUMNS,
    RAW_LABEL_COLUMNS,
    RAW_LABEL_COLUMNS_V1,
    current_label_rows,
    current_label_tuples,
    raw_label_rows,
    raw_note_rows,
)
from annotator.store.label_sets import members_of
from annotator.store.notes import all_comments, all_flags
from annotator.store.project import Project

FINAL_COLUMNS = (
    "example_id", "ext_id", "text", "label", "tie", "annotators", "n_labels", "agreement",
    "adjudicated_by", "model_version", "is_eval", "flags", "comments",
)
LIST_COLUMNS = ("tie", "annotators", "flags", "comments")
# the headers of exports made before flags and comments are recognised too
EXPORT_HEADERS = (FINAL_COLUMNS, RAW_LABEL_COLUMNS, FINAL_COLUMNS[:11], RAW_LABEL_COLUMNS_V1, FINAL_SET_COLUMNS)
ADJUDICATION = "adjudication"
LABEL_SEPARATOR = "|"  # between the names of a multi-label set in a CSV cell (import with --label-separator '|')
_TIME_COLUMNS = ("created_at", "superseded_at")


def final_labels(project: Project, *, include_eval: bool = True) -> list[dict[str, Any]]:
    """One row per example with at least one current label, by example id (a multi-label project's
    rows have ``labels``, see :mod:`annotator.services.label_set_finals`, instead of ``label``)."""
    order = {name: position for position, name in enumerate(get_labels(project.db))}
    rows = current_label_rows(project.db, include_eval=include_eval)
    said = _notes_by_example(project)
    if is_multi_label(project.db):
        members = members_of(project.db, (row["label_id"] for row in rows))
        finals = [final_set_row(list(group), members, order)
                  for _, group in groupby(rows, key=itemgetter("example_id"))]
    else:
        finals = [_final_row(list(group), order) for _, group in groupby(rows, key=itemgetter("example_id"))]
    for row in finals:
        flags, comments = said.get(row["example_id"], (None, None))
        row["flags"], row["comments"] = flags, comments
    return finals


def _final_csv_cells(project: Project, include_eval: bool) -> Iterator[list[Any]]:
    """The CSV cells of :func:`final_labels`' rows, row by row, the same cells ``write_rows`` makes
    of them (tested file against file). An example holding one annotator's label and no
    adjudication (most rows of most projects) goes from its query row straight to its cells, with
    no dict on the way; the others through :func:`_final_row`. This halved the CPU time of a
    200k-label CSV export (docs/benchmarks.md, import and export)."""
    order = {name: position for position, name in enumerate(get_labels(project.db))}
    said = _notes_by_example(project)
    cell = CsvCells()
    rows = current_label_tuples(project.db, include_eval=include_eval)
    eid, ext, text, is_eval, _, label, annotator, kind, _, version = range(len(CURRENT_LABEL_COLUMNS))
    start, n = 0, len(rows)
    while start < n:
        first = rows[start]
        end = start + 1
        while end < n and rows[end][eid] == first[eid]:
            end += 1
        flags, comments = said.get(first[eid], (None, None))
        if end == start + 1 and first[kind] != ADJUDICATION:
            yield [first[eid], cell(first[ext]), neutralise_cell(first[text]), neutralise_cell(first[label]), "",
                   cell([first[annotator]]), 1, 1.0, "", "" if first[version] is None else first[version],
                   "true" if first[is_eval] else "false", cell(flags), cell(comments)]
        else:
            final = _final_row([dict(zip(CURRENT_LABEL_COLUMNS, row)) for row in rows[start:end]], order)
            final["flags"], final["comments"] = flags, comments
            yield [cell(final.get(column)) for column in FINAL_COLUMNS]
        start = end


def _notes_by_example(project: Project) -> dict[int, tuple[list[str] | None, list[str] | None]]:
    """example id -> (its flags, its comments) as the final export's lists (None when there are none)."""
    found: dict[int, tuple[list[str] | None, list[str] | None]] = {}
    for flag in all_flags(project.db):
        flags, comments = found.get(flag["example_id"], (None, None))
        status = "" if flag["status"] == "open" else f" [{flag['status']}]"
        found[flag["example_id"]] = ([*(flags or []), flag_text_line(flag) + status], comments)
    for comment in all_comments(project.db):
        flags, comments = found.get(comment["example_id"], (None, None))
        found[comment["example_id"]] = (flags, [*(comments or []), comment_line(comment)])
    return found


def _final_row(labels: list[dict[str, Any]], order: dict[str, int]) -> dict[str, Any]:
    first = labels[0]
    if len(labels) == 1 and first["kind"] != ADJUDICATION:
        # the common case (one annotator), without the counting below
        return {
            "example_id": first["example_id"],
            "ext_id": first["ext_id"],
            "text": first["text"],
            "label": first["label"],
            "tie": None,
            "annotators": [first["annotator"]],
            "n_labels": 1,
            "agreement": 1.0,
            "adjudicated_by": None,
            "model_version": first["model_version"],
            "is_eval": bool(first["is_eval"]),
        }
    votes = [row for row in labels if row["kind"] != ADJUDICATION]
    adjudications = [row for row in labels if row["kind"] == ADJUDICATION]
    counter = Counter(row["label"] for row in votes)
    tie = None
    if counter:
        top = max(counter.values())
        leaders = sorted((name for name, n in counter.items() if n == top), key=lambda n: order.get(n, len(order)))
        majority = leaders[0]
        if len(leaders) > 1:
            tie = leaders
    if adjudications:
        decision = max(adjudications, key=lambda row: (row["created_at"], row["label_id"]))
        final, adjudicated_by, tie = decision["label"], decision["annotator"], None
    else:
        final, adjudicated_by = majority, None
    served = [row for row in labels if row["model_version"] is not None]
    latest_served = max(served, key=lambda row: (row["created_at"], row["label_id"])) if served else None
    return {
        "example_id": first["example_id"],
        "ext_id": first["ext_id"],
        "text": first["text"],
        "label": final,
        "tie": tie,
        "annotators": sorted({row["annotator"] for row in votes}),
        "n_labels": len(votes),
        "agreement": round(counter[final] / len(votes), 4) if votes else None,
        "adjudicated_by": adjudicated_by,
        "model_version": latest_served["model_version"] if latest_served else None,
        "is_eval": bool(first["is_eval"]),
    }


def raw_labels(project: Project, *, include_eval: bool = True) -> list[dict[str, Any]]:
    """Every label row (current and superseded) with provenance, then every flag and comment;
    times as ISO 8601 UTC."""
    rows = raw_label_rows(project.db, include_eval=include_eval) + raw_note_rows(project.db, include_eval=include_eval)
    for row in rows:
        for column in _TIME_COLUMNS:
            row[column] = iso_utc(row[column])
        row["superseded"] = bool(row["superseded"])
        row["is_eval"] = bool(row["is_eval"])
    return rows


def export(
    project: Project,
    out_path: str | os.PathLike,
    fmt: str,
    raw: bool = False,
    include_eval: bool = True,
    name: str | None = None,
    label_separator: str = LABEL_SEPARATOR,
) -> int:
    """Write final labels (or, with ``raw``, every label row) to ``out_path``; return the row count.

    ``name``: how messages call the file (default: ``out_path``). A multi-label project's final sets
    are a list column in JSONL and Parquet and names joined by ``label_separator`` in CSV (as is a raw
    row's set in every format).
    """
    multi_label = is_multi_label(project.db)
    if raw:
        rows = raw_labels(project, include_eval=include_eval)
        if multi_label:
            members = members_of(project.db, (row["label_id"] for row in rows if row["label_id"] is not None))
            for row in rows:
                if row["label_id"] is not None and row["label"] is None:
                    row["label"] = label_separator.join(members[row["label_id"]])
        return write_rows(rows, out_path, fmt, RAW_LABEL_COLUMNS, name=name)
    if not multi_label:
        if fmt.strip().lower() == "csv":
            return write_csv_cells(_final_csv_cells(project, include_eval), out_path, FINAL_COLUMNS, name=name)
        return write_rows(final_labels(project, include_eval=include_eval), out_path, fmt, FINAL_COLUMNS,
                          list_columns=LIST_COLUMNS, name=name)
    rows = final_labels(project, include_eval=include_eval)
    if fmt.strip().lower() == "csv":
        try:
            rows = joined_labels(rows, label_separator, get_labels(project.db))
        except ValueError as error:
            raise InputError(f"{name or out_path}: {error}; choose another --label-separator") from None
        return write_rows(rows, out_path, fmt, FINAL_SET_COLUMNS, list_columns=LIST_COLUMNS, name=name)
    return write_rows(rows, out_path, fmt, FINAL_SET_COLUMNS, list_columns=SET_LIST_COLUMNS, name=name)


def iso_utc(seconds: float | None) -> str | None:
    """Unix seconds as ISO 8601 UTC with milliseconds, e.g. ``2026-01-31T12:00:00.000Z``."""
    if seconds is None:
        return None
    moment = datetime.fromtimestamp(seconds, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
