"""Opening the SQLite database shared by the UI, the worker and the CLI.

SQLite in WAL mode is the bus between processes. Two rules keep several
writers from ever failing with "database is locked":

* every connection waits on a busy lock (``busy_timeout``) instead of failing;
* every write transaction starts with ``BEGIN IMMEDIATE``: it takes the write
  lock up front, so a reader can never be asked to upgrade to a writer in the
  middle of a transaction (the one case SQLite cannot resolve by waiting).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import sqlite_utils

BUSY_TIMEOUT_MS = 60_000


def connect(path: str | Path, *, check_same_thread: bool = True) -> sqlite_utils.Database:
    """Open ``path`` in WAL mode with a busy timeout and autocommit semantics.

    Autocommit (``isolation_level=None``) means nothing is held open between
    calls; writes group themselves with :func:`write_transaction`.
    """
    conn = sqlite3.connect(
        str(path),
        timeout=BUSY_TIMEOUT_MS / 1000,
        isolation_level=None,
        check_same_thread=check_same_thread,
    )
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    return sqlite_utils.Database(conn)


@contextlib.contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite3.Connection]:
    """One short write transaction: BEGIN IMMEDIATE ... COMMIT, ROLLBACK on error.

    Nested use joins the outer transaction.
    """
    conn = db.conn
    if conn.in_transaction:
        yield conn
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")


@contextlib.contextmanager
def read_snapshot(db: sqlite_utils.Database) -> Iterator[sqlite3.Connection]:
    """A consistent read of several queries (a deferred transaction, never a write)."""
    conn = db.conn
    if conn.in_transaction:
        yield conn
        return
    conn.execute("BEGIN")
    try:
        yield conn
    finally:
        conn.execute("COMMIT")
