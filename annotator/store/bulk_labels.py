"""Bulk label writes for the importer: many labels in the caller's one transaction.

:func:`annotator.store.labels.add_label` saves one label in its own short
transaction (the UI path); an import of 100k rows instead looks up current
labels in chunks and writes with ``executemany`` inside one
``write_transaction`` so a bad row anywhere leaves nothing changed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

import sqlite_utils

from annotator.store.connection import bulk_cache, write_transaction

_CHUNK = 500


def current_labels_by(
    conn: sqlite3.Connection, example_ids: Iterable[int], annotators: Iterable[str]
) -> dict[tuple[int, str], str]:
    """Current label of each (example, annotator) pair among the given examples and annotators."""
    names = list(dict.fromkeys(annotators))
    ids = list(dict.fromkeys(example_ids))
    found: dict[tuple[int, str], str] = {}
    if not names:
        return found
    name_marks = ", ".join("?" * len(names))
    step = max(1, _CHUNK - len(names))
    for start in range(0, len(ids), step):
        chunk = ids[start : start + step]
        marks = ", ".join("?" * len(chunk))
        for example_id, annotator, label in conn.execute(
            f"SELECT example_id, annotator, label FROM labels WHERE superseded = 0 "
            f"AND example_id IN ({marks}) AND annotator IN ({name_marks})",
            [*chunk, *names],
        ):
            found[(example_id, annotator)] = label
    return found


def supersede_labels(
    conn: sqlite3.Connection, pairs: Iterable[tuple[int, str]], now: float, reason: str = "relabel"
) -> int:
    """Mark the current label of each (example, annotator) superseded; return how many were."""
    cursor = conn.executemany(
        "UPDATE labels SET superseded = 1, superseded_at = ?, superseded_reason = ? "
        "WHERE example_id = ? AND annotator = ? AND superseded = 0",
        ((now, reason, example_id, annotator) for example_id, annotator in pairs),
    )
    return cursor.rowcount


def insert_labels(conn: sqlite3.Connection, rows: Iterable[tuple[int, str, str, str, float]]) -> int:
    """Insert (example_id, label, annotator, kind, created_at) rows; return the count."""
    with bulk_cache(conn):
        cursor = conn.executemany(
            "INSERT INTO labels(example_id, label, annotator, kind, created_at) VALUES (?, ?, ?, ?, ?)",
            rows,
        )
    return cursor.rowcount


# (example_id, label, annotator, created_at, seconds)
TimedLabel = tuple[int, str, str, float, float | None]


def insert_timed_annotations(db: sqlite_utils.Database, rows: Iterable[TimedLabel]) -> int:
    """Insert annotation rows with chosen times in one transaction; the count. For simulated teams
    (benchmarks, screenshots): a label history spanning days written in a second. The unique index
    refuses a second current label of one (example, annotator) and the whole batch is rolled back."""
    with write_transaction(db) as conn:
        return conn.executemany(
            "INSERT INTO labels(example_id, label, annotator, kind, created_at, seconds) "
            "VALUES (?, ?, ?, 'annotation', ?, ?)",
            rows,
        ).rowcount
