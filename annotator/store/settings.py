"""Project settings (JSON values over config.SETTINGS defaults) and the ordered label set."""

from __future__ import annotations

import json
import time
from typing import Any

import sqlite_utils

from annotator.config import coerce_setting, defaults
from annotator.errors import LabelSetError
from annotator.store.connection import write_transaction


def get_settings(db: sqlite_utils.Database) -> dict[str, Any]:
    values = defaults()
    for key, value in db.execute("SELECT key, value FROM settings").fetchall():
        if key in values:
            values[key] = json.loads(value)
    return values


def get_setting(db: sqlite_utils.Database, key: str) -> Any:
    return get_settings(db)[key]


def set_settings(db: sqlite_utils.Database, **changes: Any) -> dict[str, Any]:
    """Validate every change first, then write them all in one transaction."""
    checked = {key: coerce_setting(key, value) for key, value in changes.items()}
    with write_transaction(db) as conn:
        conn.executemany(
            "INSERT INTO settings(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [(key, json.dumps(value)) for key, value in checked.items()],
        )
    return get_settings(db)


def get_labels(db: sqlite_utils.Database) -> list[str]:
    """The label set in its display order."""
    return [row[0] for row in db.execute("SELECT name FROM labelset ORDER BY position")]


def _check_label_name(name: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise LabelSetError("a label must be a non-empty text")
    if name != name.strip():
        raise LabelSetError(f"label {name!r} has leading or trailing spaces")
    if any(ch in name for ch in "\n\r\t"):
        raise LabelSetError(f"label {name!r} contains a line break or tab")
    if len(name) > 100:
        raise LabelSetError(f"label {name[:30]!r}... is longer than 100 characters")
    return name


def add_labels(db: sqlite_utils.Database, names: list[str]) -> list[str]:
    """Append new labels at the end of the set. Existing names are an error, not a rename."""
    names = [_check_label_name(name) for name in names]
    if len(set(names)) != len(names):
        raise LabelSetError("the label list names a label twice")
    with write_transaction(db) as conn:
        existing = {row[0] for row in conn.execute("SELECT name FROM labelset")}
        clash = [name for name in names if name in existing]
        if clash:
            raise LabelSetError(f"label {clash[0]!r} is already in the label set")
        start = conn.execute("SELECT COALESCE(MAX(position) + 1, 0) FROM labelset").fetchone()[0]
        now = time.time()
        conn.executemany(
            "INSERT INTO labelset(name, position, created_at) VALUES (?, ?, ?)",
            [(name, start + i, now) for i, name in enumerate(names)],
        )
    return get_labels(db)
