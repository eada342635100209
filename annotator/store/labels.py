"""Labels: an append-only history with provenance.

A row is never deleted. One annotator has at most one *current* label per
example (a partial unique index enforces it); relabeling, undo and
adjudication mark older rows ``superseded`` with a reason.
"""

from __future__ import annotations

import json
import time
from typing import Any

import sqlite_utils

from annotator.errors import InputError, LabelSetError
from annotator.store.connection import dict_rows, one_dict, write_transaction

LABEL_COLUMNS = (
    "id", "example_id", "label", "annotator", "kind", "created_at", "seconds",
    "model_version", "strategy", "score", "superseded", "superseded_at", "superseded_reason", "late",
    "suggestion", "original_label",
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
    late: bool = False,
    suggestion: str | None = None,
    now: float | None = None,
) -> int:
    """Save one label in one short transaction; return its row id.

    Supersedes the annotator's previous current label of the example and
    releases their lease on it. ``late``: saved without a live lease of the annotator;
    ``suggestion``: the model's suggestion that was on screen.
    """
    with write_transaction(db) as conn:
        if not conn.execute("SELECT 1 FROM labelset WHERE name = ?", (label,)).fetchone():
            raise LabelSetError(f"label {label!r} is not in the label set")
        return write_current_label(
            conn, example_id, label, annotator, seconds=seconds, model_version=model_version, strategy=strategy,
            score=score, kind=kind, late=late, suggestion=suggestion, now=now,
        )


def write_current_label(
    conn, example_id: int, label: str | None, annotator: str, *, seconds: float | None, model_version: int | None,
    strategy: str | None, score: float | None, kind: str, late: bool, suggestion: str | None, now: float | None,
) -> int:
    """In the caller's transaction: supersede the annotator's current label of the example, insert this one
    (``label`` None: a multi-label row, whose set the caller writes) and drop their lease; the new row id."""
    if not conn.execute("SELECT 1 FROM examples WHERE id = ?", (example_id,)).fetchone():
        raise InputError(f"no example with id {example_id}")
    now = time.time() if now is None else now
    conn.execute(
        "UPDATE labels SET superseded = 1, superseded_at = ?, superseded_reason = ? "
        "WHERE example_id = ? AND annotator = ? AND superseded = 0",
        (now, "adjudication" if kind == "adjudication" else "relabel", example_id, annotator),
    )
    cursor = conn.execute(
        "INSERT INTO labels(example_id, label, annotator, kind, created_at, seconds, "
        "model_version, strategy, score, late, suggestion) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (example_id, label, annotator, kind, now, seconds, model_version, strategy, score, int(late), suggestion),
    )
    conn.execute(
        "DELETE FROM leases WHERE example_id = ? AND annotator = ?", (example_id, annotator)
    )
    return cursor.lastrowid


def undo_last(db: sqlite_utils.Database, annotator: str) -> dict[str, Any] | None:
    """Supersede the annotator's most recent current annotation; return that label row."""
    with write_transaction(db) as conn:
        row = one_dict(
            conn,
            f"SELECT {', '.join(LABEL_COLUMNS)} FROM labels "
            "WHERE annotator = ? AND superseded = 0 AND kind = 'annotation' "
            "ORDER BY created_at DESC, id DESC LIMIT 1",
            (annotator,),
        )
        if row is None:
            return None
        conn.execute(
            "UPDATE labels SET superseded = 1, superseded_at = ?, superseded_reason = 'undo' "
            "WHERE id = ?",
            (time.time(), row["id"]),
        )
        return row


def current_label_of(conn, example_id: int, annotator: str) -> dict[str, Any] | None:
    """The annotator's current label row of an example, if any."""
    return one_dict(
        conn,
        f"SELECT {', '.join(LABEL_COLUMNS)} FROM labels WHERE example_id = ? AND annotator = ? AND superseded = 0",
        (example_id, annotator),
    )


def recent_labels(db: sqlite_utils.Database, annotator: str, *, limit: int = 20) -> list[dict[str, Any]]:
    """The annotator's current annotations, newest first, each with its text and the label it replaced
    (``previous``: the annotator's newest superseded label of that text, if any)."""
    return dict_rows(
        db,
        "SELECT l.id, l.example_id, l.label, l.created_at, l.suggestion, e.text, "
        "(SELECT p.label FROM labels p WHERE p.example_id = l.example_id AND p.annotator = l.annotator "
        " AND p.superseded = 1 AND p.kind = 'annotation' ORDER BY p.id DESC LIMIT 1) AS previous "
        "FROM labels l INDEXED BY labels_annotator_time JOIN examples e ON e.id = l.example_id "
        "WHERE l.annotator = ? AND l.superseded = 0 AND l.kind = 'annotation' "
        "ORDER BY l.created_at DESC, l.id DESC LIMIT ?",
        (annotator, limit),
    )


def current_labels(db: sqlite_utils.Database, example_id: int) -> list[dict[str, Any]]:
    return dict_rows(
        db,
        f"SELECT {', '.join(LABEL_COLUMNS)} FROM labels WHERE example_id = ? AND superseded = 0 "
        "ORDER BY created_at, id",
        (example_id,),
    )


def label_history(db: sqlite_utils.Database, example_id: int) -> list[dict[str, Any]]:
    return dict_rows(
        db, f"SELECT {', '.join(LABEL_COLUMNS)} FROM labels WHERE example_id = ? ORDER BY created_at, id",
        (example_id,),
    )


def late_labels(db: sqlite_utils.Database, *, limit: int = 200) -> list[dict[str, Any]]:
    """Current labels saved without a live lease, newest first, with the example's other current labels."""
    rows = dict_rows(
        db,
        "SELECT l.id, l.example_id, l.label, l.annotator, l.created_at, e.text, "
        "(SELECT json_group_object(o.annotator, o.label) FROM labels o WHERE o.example_id = l.example_id "
        " AND o.superseded = 0 AND o.id <> l.id) AS others "
        "FROM labels l JOIN examples e ON e.id = l.example_id WHERE l.late = 1 AND l.superseded = 0 "
        "ORDER BY l.created_at DESC, l.id DESC LIMIT ?",
        (limit,),
    )
    for item in rows:
        item["others"] = json.loads(item["others"]) if item["others"] else {}
    return rows


def count_late_labels(db: sqlite_utils.Database) -> int:
    return db.execute("SELECT COUNT(*) FROM labels WHERE late = 1 AND superseded = 0").fetchone()[0]
