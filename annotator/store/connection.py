"""Opening the SQLite database shared by the UI, the worker and the CLI.

SQLite in WAL mode is the bus between processes. Three rules keep several
writers from ever failing with "database is locked":

* every connection waits on a busy lock (``busy_timeout``) instead of failing;
* every write transaction starts with ``BEGIN IMMEDIATE``: it takes the write
  lock up front, so a reader can never be asked to upgrade to a writer in the
  middle of a transaction (the one case SQLite cannot resolve by waiting);
* before that, a write transaction queues on an OS file lock beside the
  database (``project.db-writer``, ``flock``). SQLite's busy handler polls
  with sleeps of up to 100 ms, so under heavy contention a waiting writer can
  miss the free lock again and again until its timeout runs out (measured:
  20 processes saving without pause starved some calls for over 60 s). A
  writer blocked in ``flock`` is woken by the kernel the moment the lock is
  released, so no writer starves. The kernel also drops the lock when its
  holder dies, even by ``kill -9``.
"""

from __future__ import annotations

import contextlib
import fcntl
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import sqlite_utils

BUSY_TIMEOUT_MS = 60_000
WRITER_LOCK_SUFFIX = "-writer"


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
    db = sqlite_utils.Database(conn)
    # one open file per connection: flock excludes other connections of this
    # process (threads of the app) as well as other processes
    # (a file object, so a connection dropped without close() frees it too)
    try:
        db.writer_lock = open(f"{path}{WRITER_LOCK_SUFFIX}", "ab")  # noqa: SIM115 - lives with db
    except OSError:  # a read-only folder: SQLite's own busy wait still applies
        db.writer_lock = None
    return db


def close(db: sqlite_utils.Database) -> None:
    """Close the connection and its writer-lock file."""
    lock = getattr(db, "writer_lock", None)
    if lock is not None:
        lock.close()
    db.conn.close()


@contextlib.contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite3.Connection]:
    """One short write transaction: BEGIN IMMEDIATE ... COMMIT, ROLLBACK on error.

    Nested use joins the outer transaction.
    """
    conn = db.conn
    if conn.in_transaction:
        yield conn
        return
    lock = getattr(db, "writer_lock", None)
    fd = lock.fileno() if lock is not None and not lock.closed else None
    if fd is not None:
        fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")
    finally:
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)


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
