"""A project's label mode, fixed when it is created: ``single`` (one label per text, the default) or
``multi`` (a set of labels per text, possibly empty when the ``none_of_these`` setting allows it)."""

from __future__ import annotations

import sqlite3

import sqlite_utils

from annotator.store.connection import write_transaction
from annotator.store.project_meta import LABEL_MODE_KEY, read_meta, write_meta

SINGLE, MULTI = "single", "multi"
MODE_NAMES = {SINGLE: "single-label", MULTI: "multi-label"}


def set_label_mode(db: sqlite_utils.Database, multi_label: bool) -> None:
    """Record the mode of a new project (a project's mode, once written, never changes)."""
    with write_transaction(db) as conn:
        write_meta(conn, LABEL_MODE_KEY, MULTI if multi_label else SINGLE)


def label_mode(db: sqlite_utils.Database | sqlite3.Connection) -> str:
    return read_meta(db, LABEL_MODE_KEY) or SINGLE


def is_multi_label(db: sqlite_utils.Database | sqlite3.Connection) -> bool:
    return label_mode(db) == MULTI


def mode_name(db: sqlite_utils.Database | sqlite3.Connection) -> str:
    """``single-label`` or ``multi-label``, as pages and commands show it."""
    return MODE_NAMES[label_mode(db)]
