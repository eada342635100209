"""SQL of ``project_meta``: what is fixed when a project is created (its ``label_mode``)."""

from __future__ import annotations

import sqlite3

import sqlite_utils

LABEL_MODE_KEY = "label_mode"


def write_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    """Store ``key`` once, in the caller's transaction; an existing key is left as it is (fixed at creation)."""
    conn.execute("INSERT INTO project_meta(key, value) VALUES (?, ?) ON CONFLICT DO NOTHING", (key, value))


def read_meta(db: sqlite_utils.Database | sqlite3.Connection, key: str) -> str | None:
    row = db.execute("SELECT value FROM project_meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None
