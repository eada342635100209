"""Project settings: read them typed and checked, change them checked — page and CLI alike.

Every value is checked by :func:`annotator.config.coerce_setting` when it is
written AND when it is read: a value stored by an older version (or by hand)
that no longer passes gives way to its default, so a bad setting never takes a
page or the worker down. :func:`setting_problems` lists such values; each is
logged once per process, the CLI prints them and the app shows them to leads.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import sqlite_utils

from annotator.config import Settings, coerce_setting
from annotator.store.connection import database_name
from annotator.store.settings import stored_settings, write_settings

log = logging.getLogger(__name__)
_logged: set[tuple[str, str, str]] = set()  # (database, key, message) already logged by this process


def read_settings(db: sqlite_utils.Database) -> tuple[Settings, dict[str, str]]:
    """(settings, problems): the values in force, and a one-line message for each stored value
    that fails its check (its default is used instead)."""
    decoded, broken = {}, {}
    for key, text in stored_settings(db).items():
        try:
            decoded[key] = json.loads(text)
        except ValueError:
            broken[key] = text
    settings, problems = Settings.from_stored({**decoded, **broken})
    return settings, problems


def get_settings(db: sqlite_utils.Database) -> Settings:
    """The settings in force (a bad stored value is logged once and replaced by its default)."""
    settings, problems = read_settings(db)
    for key, message in problems.items():
        seen = (_database_name(db), key, message)
        if seen not in _logged:
            _logged.add(seen)
            log.warning("%s", message)
    return settings


def get_setting(db: sqlite_utils.Database, key: str) -> Any:
    return getattr(get_settings(db), key)


def setting_problems(db: sqlite_utils.Database) -> dict[str, str]:
    """The settings whose stored value is invalid, each with a one-line message."""
    return read_settings(db)[1]


def set_settings(db: sqlite_utils.Database, **changes: Any) -> Settings:
    """Check every change first (InputError, nothing written), then write them all in one transaction."""
    checked = {key: coerce_setting(key, value) for key, value in changes.items()}
    write_settings(db, checked)
    return get_settings(db)


def _database_name(db: sqlite_utils.Database) -> str:
    return database_name(db)
