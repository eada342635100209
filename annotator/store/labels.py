"""Labels: an append-only history with provenance.

A row is never deleted. One annotator has at most one *current* label per
example (a partial unique index enforces it); relabeling, undo and
adjudication mark older rows ``superseded`` with a reason.
"""

from __future__ import annotations

import time
from typing import Any

import sqlite_utils

from annotator.errors import InputError, LabelSetError
from annotator.store.connection import write_transaction

LABEL_COLUMNS = (
    "id", "example_id", "label", "annotator", "kind", "created_at", "seconds",
    "model_version", "strategy", "score", "superseded", "superseded_at", "superseded_reason",
)


def add_label(
    db: sqlite_utils.Database,
    example_id: int,
    label: str,
    annotator: str,
    *,
    seconds: float | None = None,
    model_version: int | None = None,
    strategy: str | None = None,
    score: float | None = None,
    kind: str = "annotation",
) -> int:
    """Save one label in one short transaction; return its row id.

    Supersedes the annotator's previous current label of the example and
    releases their lease on it.
    """
    with write_transaction(db) as conn:
        if not conn.execute("SELECT 1 FROM labelset WHERE name = ?", (label,)).fetchone():
            raise LabelSetError(f"label {label!r} is not in the label set")
        if not conn.execute("SELECT 1 FROM examples WHERE id = ?", (example_id,)).fetchone():
            raise InputError(f"no example with id {example_id}")
        now = time.time()
        conn.execute(
            "UPDATE labels SET superseded = 1, superseded_at = ?, superseded_reason = ? "
            "WHERE example_id = ? AND annotator = ? AND superseded = 0",
            (now, "adjudication" if kind == "adjudication" else "relabel", example_id, annotator),
        )
        cursor = conn.execute(
            "INSERT INTO labels(example_id, label, annotator, kind, created_at, seconds, "
            "model_version, strategy, score) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (example_id, label, annotator, kind, now, seconds, model_version, strategy, score),
        )
        conn.execute(
            "DELETE FROM leases WHERE example_id = ? AND annotator = ?", (example_id, annotator)
        )
        return cursor.lastrowid


def undo_last(db: sqlite_utils.Database, annotator: str) -> dict[str, Any] | None:
    """Supersede the annotator's most recent current annotation; return that label row."""
    with write_transaction(db) as conn:
        row = conn.execute(
            f"SELECT {', '.join(LABEL_COLUMNS)} FROM labels "
            "WHERE annotator = ? AND superseded = 0 AND kind = 'annotation' "
            "ORDER BY created_at DESC, id DESC LIMIT 1",
            (annotator,),
        ).fetchone()
        if row is None:
            return None
        conn.execute(
            "UPDATE labels SET superseded = 1, superseded_at = ?, superseded_reason = 'undo' "
            "WHERE id = ?",
            (time.time(), row[0]),
        )
        return dict(zip(LABEL_COLUMNS, row))


def current_labels(db: sqlite_utils.Database, example_id: int) -> list[dict[str, Any]]:
    rows = db.execute(
        f"SELECT {', '.join(LABEL_COLUMNS)} FROM labels WHERE example_id = ? AND superseded = 0 "
        "ORDER BY created_at, id",
        (example_id,),
    ).fetchall()
    return [dict(zip(LABEL_COLUMNS, row)) for row in rows]


def label_history(db: sqlite_utils.Database, example_id: int) -> list[dict[str, Any]]:
    rows = db.execute(
        f"SELECT {', '.join(LABEL_COLUMNS)} FROM labels WHERE example_id = ? ORDER BY created_at, id",
        (example_id,),
    ).fetchall()
    return [dict(zip(LABEL_COLUMNS, row)) for row in rows]
