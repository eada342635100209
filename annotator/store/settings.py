"""Project settings (JSON values over config.SETTINGS defaults) and the ordered label set.

Every value is checked by ``config.coerce_setting`` when it is written AND when
it is read: a value stored by an older version (or by hand) that no longer
passes gives way to the default, so a bad setting never takes a page or the
worker down. :func:`setting_problems` lists such values; each is logged once
per process, the CLI prints them and the app shows them to leads.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import sqlite_utils

from annotator.config import coerce_setting, defaults
from annotator.errors import InputError, LabelSetError
from annotator.store.connection import write_transaction

log = logging.getLogger(__name__)
_logged: set[tuple[str, str, str]] = set()  # (database, key, stored value) already logged by this process


def read_settings(db: sqlite_utils.Database) -> tuple[dict[str, Any], dict[str, str]]:
    """(values, problems): every setting's value, and for each stored value that fails
    its check, a one-line message (the default is used instead)."""
    values, problems = defaults(), {}
    for key, stored in db.execute("SELECT key, value FROM settings").fetchall():
        if key not in values:
            continue  # a setting this version does not know
        try:
            values[key] = coerce_setting(key, json.loads(stored))
        except (ValueError, InputError) as error:  # json's errors are ValueErrors
            problems[key] = (
                f"the stored value {stored[:40]!r} of setting {key!r} is invalid ({error}); "
                f"using the default {values[key]!r} until it is set again"
            )
    return values, problems


def get_settings(db: sqlite_utils.Database) -> dict[str, Any]:
    values, problems = read_settings(db)
    for key, message in problems.items():
        seen = (_database_name(db), key, message)
        if seen not in _logged:
            _logged.add(seen)
            log.warning("%s", message)
    return values


def setting_problems(db: sqlite_utils.Database) -> dict[str, str]:
    """The settings whose stored value is invalid, each with a one-line message."""
    return read_settings(db)[1]


def _database_name(db: sqlite_utils.Database) -> str:
    row = db.execute("PRAGMA database_list").fetchone()
    return row[2] if row else ""


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
