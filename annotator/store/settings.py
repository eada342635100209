"""SQL of the ``settings`` table (JSON text per key) and of the ordered label set.

No rules here: values are checked by :mod:`annotator.services.settings`, label
names by :mod:`annotator.services.labelset`.
"""

from __future__ import annotations

import json
import time
from typing import Any

import sqlite_utils

from annotator.store.connection import write_transaction


def stored_settings(db: sqlite_utils.Database) -> dict[str, str]:
    """key -> the stored JSON text, for every key written so far."""
    return dict(db.execute("SELECT key, value FROM settings").fetchall())


def write_settings(db: sqlite_utils.Database, values: dict[str, Any]) -> None:
    """Store ``values`` (JSON-encodable) in one transaction."""
    with write_transaction(db) as conn:
        conn.executemany(
            "INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [(key, json.dumps(value)) for key, value in values.items()],
        )


def label_names(db: sqlite_utils.Database) -> list[str]:
    """The label set in its display order."""
    return [row[0] for row in db.execute("SELECT name FROM labelset ORDER BY position")]


def append_labels(db: sqlite_utils.Database, names: list[str]) -> list[str]:
    """Append labels at the end of the set, in one transaction; the names already present (nothing
    is written then)."""
    with write_transaction(db) as conn:
        existing = {row[0] for row in conn.execute("SELECT name FROM labelset")}
        clash = [name for name in names if name in existing]
        if clash:
            return clash
        start = conn.execute("SELECT COALESCE(MAX(position) + 1, 0) FROM labelset").fetchone()[0]
        now = time.time()
        conn.executemany(
            "INSERT INTO labelset(name, position, created_at) VALUES (?, ?, ?)",
            [(name, start + i, now) for i, name in enumerate(names)],
        )
    return []
