"""SQL of flags and comments: what annotators tell the lead about a text.

A flag is open until a lead returns the text to the queue (``returned``) or keeps it out
(``excluded``); while a flag is open or excluded the queue does not serve the text
(:mod:`annotator.store.leases`). A comment is unread until a lead marks it read.
"""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from annotator.store.connection import dict_rows, read_snapshot, write_transaction

FLAG_STATUSES = ("open", "returned", "excluded")


def add_flag(db: sqlite_utils.Database, example_id: int, annotator: str, reason: str, note: str | None,
             now: float) -> int:
    """Record a flag and give back the annotator's lease on the text, in one transaction."""
    with write_transaction(db) as conn:
        cursor = conn.execute(
            "INSERT INTO flags(example_id, annotator, reason, note, created_at) VALUES (?, ?, ?, ?, ?)",
            (example_id, annotator, reason, note, now),
        )
        conn.execute("DELETE FROM leases WHERE example_id = ? AND annotator = ?", (example_id, annotator))
        return cursor.lastrowid


def add_comment(db: sqlite_utils.Database, example_id: int, author: str, body: str, now: float) -> int:
    with write_transaction(db) as conn:
        return conn.execute(
            "INSERT INTO comments(example_id, author, body, created_at) VALUES (?, ?, ?, ?)",
            (example_id, author, body, now),
        ).lastrowid


def set_flag_status(db: sqlite_utils.Database, example_id: int, before: str, after: str, lead: str,
                    now: float) -> int:
    """Move every flag of the text in status ``before`` to ``after`` (the lead's decision); how many."""
    with write_transaction(db) as conn:
        return conn.execute(
            "UPDATE flags SET status = ?, resolved_by = ?, resolved_at = ? WHERE example_id = ? AND status = ?",
            (after, lead, now, example_id, before),
        ).rowcount


def mark_comment_read(db: sqlite_utils.Database, comment_id: int, lead: str, now: float) -> bool:
    with write_transaction(db) as conn:
        return conn.execute(
            "UPDATE comments SET read_by = ?, read_at = ? WHERE id = ? AND read_at IS NULL", (lead, now, comment_id)
        ).rowcount > 0


def flagged_texts(db: sqlite_utils.Database, status: str = "open", *, limit: int = 200) -> list[dict[str, Any]]:
    """Texts with flags in ``status``, oldest first, each with its flags as a list of dicts
    (id, annotator, reason, note, created_at), oldest first (an aggregate's order is the backend's)."""
    with read_snapshot(db) as conn:
        rows = dict_rows(
            conn,
            "SELECT f.example_id, e.text, e.is_eval, MIN(f.created_at) AS first_at, "
            "json_group_array(json_object('id', f.id, 'annotator', f.annotator, 'reason', f.reason, "
            "'note', f.note, 'created_at', f.created_at)) AS flags "
            "FROM flags f JOIN examples e ON e.id = f.example_id WHERE f.status = ? "
            "GROUP BY f.example_id, e.text, e.is_eval ORDER BY first_at, f.example_id LIMIT ?",
            (status, limit),
        )
    for row in rows:
        row["flags"] = sorted(json.loads(row["flags"]), key=lambda flag: (flag["created_at"], flag["id"]))
        row["is_eval"] = bool(row["is_eval"])
    return rows


def unread_comments(db: sqlite_utils.Database, *, limit: int = 200) -> list[dict[str, Any]]:
    """Comments no lead has read yet, oldest first, with their text."""
    return dict_rows(
        db,
        "SELECT c.id, c.example_id, c.author, c.body, c.created_at, e.text FROM comments c "
        "JOIN examples e ON e.id = c.example_id WHERE c.read_at IS NULL ORDER BY c.created_at, c.id LIMIT ?",
        (limit,),
    )


def note_counts(db: sqlite_utils.Database) -> dict[str, int]:
    """Open flags (texts), texts kept out by a lead, unread comments."""
    row = db.execute(
        "SELECT (SELECT COUNT(DISTINCT example_id) FROM flags WHERE status = 'open'), "
        "(SELECT COUNT(DISTINCT example_id) FROM flags WHERE status = 'excluded'), "
        "(SELECT COUNT(*) FROM comments WHERE read_at IS NULL)"
    ).fetchone()
    return {"flagged": int(row[0]), "excluded": int(row[1]), "unread_comments": int(row[2])}


def all_flags(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Every flag, oldest first (exports)."""
    return dict_rows(
        db,
        "SELECT id, example_id, annotator, reason, note, created_at, status, resolved_by, resolved_at "
        "FROM flags ORDER BY id",
    )


def all_comments(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Every comment, oldest first (exports)."""
    return dict_rows(db, "SELECT id, example_id, author, body, created_at, read_by, read_at FROM comments ORDER BY id")
