"""Bulk label rows with chosen timestamps, for simulated teams only.

Used by the dashboard benchmark, the demo screenshot and tests to build a
label history that spans days in a second. The app never writes through
here: a real label is saved by :func:`annotator.store.labels.add_label`.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlite_utils

from annotator.store.connection import write_transaction

# (example_id, label, annotator, created_at, seconds)
SimulatedLabel = tuple[int, str, str, float, float | None]


def unlabeled_examples(db: sqlite_utils.Database) -> list[tuple[int, bool]]:
    """(example id, is_eval) of every example without a current label, by id."""
    return [
        (row[0], bool(row[1]))
        for row in db.execute(
            "SELECT id, is_eval FROM examples AS e WHERE NOT EXISTS "
            "(SELECT 1 FROM labels AS l WHERE l.example_id = e.id AND l.superseded = 0) ORDER BY id"
        )
    ]


def insert_simulated_labels(db: sqlite_utils.Database, rows: Iterable[SimulatedLabel]) -> int:
    """Insert annotation rows in one transaction; return the count.

    Each (example, annotator) pair must not have a current label yet (the
    unique index refuses a second one and the whole batch is rolled back).
    """
    with write_transaction(db) as conn:
        cursor = conn.executemany(
            "INSERT INTO labels(example_id, label, annotator, kind, created_at, seconds) "
            "VALUES (?, ?, ?, 'annotation', ?, ?)",
            rows,
        )
        return cursor.rowcount


def backdate_examples(db: sqlite_utils.Database, seconds: float) -> None:
    """Move every example's ``created_at`` back by ``seconds`` (a simulated history starts earlier)."""
    with write_transaction(db) as conn:
        conn.execute("UPDATE examples SET created_at = created_at - ?", (float(seconds),))
