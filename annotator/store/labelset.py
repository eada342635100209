"""SQL of label-set changes: rename, merge (a delete that moves labels is one), delete, and their record.

Each function runs inside the caller's ``write_transaction`` (the service owns it, so a change
and its checks see the same rows). No rules here: :mod:`annotator.services.labelset`.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from annotator.store.connection import dict_rows


def label_names(conn: sqlite3.Connection) -> list[str]:
    return [row[0] for row in conn.execute("SELECT name FROM labelset ORDER BY position")]


def label_use(conn: sqlite3.Connection, name: str) -> dict[str, int]:
    """How many label rows give ``name``: ``rows`` (every row, history included), ``current``."""
    row = conn.execute(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN l.superseded = 0 THEN 1 ELSE 0 END), 0) FROM labels l "
        "WHERE l.label = ? OR l.id IN (SELECT label_id FROM label_members WHERE name = ?)", (name, name)
    ).fetchone()
    return {"rows": int(row[0]), "current": int(row[1])}


def _rename_everywhere(conn: sqlite3.Connection, old: str, new: str, *, keep_original: bool) -> int:
    """Label rows giving ``old`` give ``new`` (``keep_original``: remember ``old`` as what was given);
    suggestions and the models' predictions follow. Returns the label rows changed."""
    if keep_original:
        changed = conn.execute(
            "UPDATE labels SET original_label = COALESCE(original_label, label), label = ? WHERE label = ?",
            (new, old),
        ).rowcount
    else:
        changed = conn.execute("UPDATE labels SET label = ? WHERE label = ?", (new, old)).rowcount
        conn.execute("UPDATE labels SET original_label = ? WHERE original_label = ?", (new, old))
    conn.execute("UPDATE labels SET suggestion = ? WHERE suggestion = ?", (new, old))
    conn.execute("UPDATE scores SET predicted = ? WHERE predicted = ?", (new, old))
    # multi-label sets: a set holding both keeps one (the sets' suggestions and predictions, JSON lists,
    # keep the old name until the next refresh)
    changed += conn.execute(  # UPDATE OR IGNORE, on both backends: only the sets without ``new`` yet
        "UPDATE label_members SET name = ? WHERE name = ? AND NOT EXISTS "
        "(SELECT 1 FROM label_members AS m WHERE m.label_id = label_members.label_id AND m.name = ?)",
        (new, old, new)).rowcount
    changed += conn.execute("DELETE FROM label_members WHERE name = ?", (old,)).rowcount
    return changed


def rename_label(conn: sqlite3.Connection, old: str, new: str) -> int:
    """``old`` is called ``new`` from now on, in its place in the order; every stored label, suggestion
    and prediction of it, and the class names of the stored models, follow. Returns the label rows changed."""
    position, created_at = conn.execute("SELECT position, created_at FROM labelset WHERE name = ?", (old,)).fetchone()
    spare = conn.execute("SELECT MAX(position) + 1 FROM labelset").fetchone()[0]
    conn.execute("INSERT INTO labelset(name, position, created_at) VALUES (?, ?, ?)", (new, spare, created_at))
    changed = _rename_everywhere(conn, old, new, keep_original=False)
    for version, classes in conn.execute("SELECT version, classes FROM version_heads").fetchall():
        names = json.loads(classes)
        if old in names:
            names = [new if name == old else name for name in names]
            conn.execute("UPDATE version_heads SET classes = ? WHERE version = ?", (json.dumps(names), version))
    conn.execute("DELETE FROM labelset WHERE name = ?", (old,))
    conn.execute("UPDATE labelset SET position = ? WHERE name = ?", (position, new))
    return changed


def move_labels(conn: sqlite3.Connection, source: str, target: str) -> int:
    """Every label row giving ``source`` gives ``target`` (``original_label`` keeps ``source``), and
    ``source`` leaves the label set. Returns the label rows moved."""
    moved = _rename_everywhere(conn, source, target, keep_original=True)
    conn.execute("DELETE FROM labelset WHERE name = ?", (source,))
    return moved


def delete_label(conn: sqlite3.Connection, name: str) -> None:
    """Remove an unused label from the set."""
    conn.execute("DELETE FROM labelset WHERE name = ?", (name,))


def record_change(conn: sqlite3.Connection, action: str, label: str, target: str | None, rows_changed: int,
                  actor: str | None, now: float) -> None:
    conn.execute(
        "INSERT INTO label_changes(action, label, target, rows_changed, actor, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (action, label, target, rows_changed, actor, now),
    )


def label_changes(conn: sqlite3.Connection, *, limit: int = 100) -> list[dict[str, Any]]:
    """The recorded changes, newest first."""
    return dict_rows(
        conn,
        "SELECT id, action, label, target, rows_changed, actor, created_at FROM label_changes "
        "ORDER BY id DESC LIMIT ?",
        (limit,),
    )
