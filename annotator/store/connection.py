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

A holder that is alive but stopped (SIGSTOP, Ctrl-Z on a CLI command) never
releases the lock, so a writer waits for it no longer than the busy timeout:
it blocks in ``flock`` on a helper thread and gives up with WriterLockTimeout
after ``busy_timeout`` seconds (the helper keeps waiting, and lets go of the
lock the moment it gets it, unless the next write on that connection takes it
over). The uncontended case takes the lock at once, with no thread.

Files are created readable by their owner only (0600): the database, its
``-wal`` and ``-shm`` files (SQLite gives them the database's mode) and the
writer lock.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlite_utils

from annotator.store.dialect import is_postgres
from annotator.store.writer_lock import WriterLock, WriterLockTimeout

BUSY_TIMEOUT_MS = 60_000
WRITER_LOCK_SUFFIX = "-writer"
FILE_MODE = 0o600

__all__ = ["database_errors", "ProjectDatabase", "WriterLockTimeout", "close", "connect", "database_name", "dict_rows",
           "one_dict", "read_snapshot", "write_transaction"]


class ProjectDatabase(sqlite_utils.Database):
    """A project's database connection with its writer lock (None in a read-only folder)."""

    def __init__(self, conn: sqlite3.Connection, writer_lock: WriterLock | None, busy_timeout: float):
        super().__init__(conn)
        self.writer_lock = writer_lock
        self.busy_timeout = busy_timeout


def create_private_file(path: str | Path) -> None:
    """Create ``path`` empty with mode 0600 unless it exists (its mode is then left alone)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        pass


def connect(
    path: str | Path, *, check_same_thread: bool = True, busy_timeout: float = BUSY_TIMEOUT_MS / 1000
) -> sqlite_utils.Database:
    """Open ``path`` in WAL mode with a busy timeout and autocommit semantics.

    Autocommit (``isolation_level=None``) means nothing is held open between
    calls; writes group themselves with :func:`write_transaction`. A write
    waits at most ``busy_timeout`` seconds for the writer lock and as long for
    SQLite's own lock. A new database file is created with mode 0600.
    """
    create_private_file(path)
    conn = sqlite3.connect(
        str(path),
        timeout=busy_timeout,
        isolation_level=None,
        check_same_thread=check_same_thread,
    )
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    # one open file per connection: flock excludes other connections of this
    # process (threads of the app) as well as other processes
    # (a file object, so a connection dropped without close() frees it too)
    lock_path = f"{path}{WRITER_LOCK_SUFFIX}"
    try:
        create_private_file(lock_path)
        lock = WriterLock(lock_path, busy_timeout)
    except OSError:  # a read-only folder: SQLite's own busy wait still applies
        lock = None
    return ProjectDatabase(conn, lock, busy_timeout)


def close(db: sqlite_utils.Database) -> None:
    """Close the connection and its writer-lock file."""
    if is_postgres(db):
        db.close()
        return
    lock = getattr(db, "writer_lock", None)  # a plain sqlite_utils.Database has none
    if lock is not None:
        lock.close()
    db.conn.close()


@contextlib.contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite3.Connection]:
    """One short write transaction: BEGIN IMMEDIATE ... COMMIT, ROLLBACK on error.

    Nested use joins the outer transaction. On PostgreSQL: BEGIN, then the project's writer lock as a
    transaction-level advisory lock (any host; the server lets go at COMMIT, ROLLBACK or a lost
    connection), so write transactions see each other's work exactly as under SQLite's one writer.
    """
    conn = db.conn
    if conn.in_transaction:
        yield conn
        return
    if is_postgres(db):
        with db.write_transaction() as conn:
            yield conn
        return
    lock: WriterLock | None = getattr(db, "writer_lock", None)  # a plain sqlite_utils.Database has none
    fd = lock.acquire() if lock is not None and not lock.closed else None
    try:
        _begin_immediate(db)
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            # SQLite may already have rolled back on its own (a full disk): rolling back again
            # would raise "no transaction is active" and hide the real error.
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    finally:
        if fd is not None:
            lock.release(fd)


@contextlib.contextmanager
def annotator_transaction(db: sqlite_utils.Database, annotator: str) -> Iterator[sqlite3.Connection]:
    """The transaction of one annotator's queue action (lease the next text, save, skip, undo...).

    On SQLite the write transaction (one writer: nothing to race). On PostgreSQL one annotator's
    actions are serialised by that annotator's advisory lock and nothing else, so annotators do not
    queue for each other: what they share is the example rows, which a pick locks one by one (see
    :mod:`annotator.store.leases`), and every other write of the action touches that annotator's
    own rows (their lease, their current label, their skip).
    """
    if is_postgres(db) and not db.conn.in_transaction:
        with db.write_transaction(db.annotator_key(annotator)) as conn:
            yield conn
        return
    with write_transaction(db) as conn:
        yield conn


BULK_CACHE_KIB = 256 * 1024  # SQLite's page cache while one statement writes many rows


@contextlib.contextmanager
def bulk_cache(conn: sqlite3.Connection, kib: int = BULK_CACHE_KIB) -> Iterator[sqlite3.Connection]:
    """A larger page cache for a bulk write, given back after it.

    Inserting a million rows into a table with an index on a hash touches index pages in
    random order; with SQLite's default 2 MB cache they are spilled to the WAL and read
    back again and again (measured: 45% less CPU for 500k rows with 256 MB). The cache
    only grows as pages are touched, and shrinks back when the block ends. PostgreSQL sizes its
    shared buffers itself: nothing to do there."""
    if is_postgres(conn):
        yield conn
        return
    before = conn.execute("PRAGMA cache_size").fetchone()[0]
    conn.execute(f"PRAGMA cache_size = -{int(kib)}")
    try:
        yield conn
    finally:
        conn.execute(f"PRAGMA cache_size = {int(before)}")


def _begin_immediate(db: sqlite_utils.Database) -> None:
    """BEGIN IMMEDIATE; a write lock SQLite could not get within the busy timeout (a program
    writing without the writer lock, e.g. an sqlite3 shell) is a WriterLockTimeout too."""
    try:
        db.conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        if "locked" not in str(error) and "busy" not in str(error):
            raise
        waited = getattr(db, "busy_timeout", BUSY_TIMEOUT_MS / 1000)
        raise WriterLockTimeout(
            f"the project database stayed locked for over {waited:g} s by another program "
            f"({error}); nothing was written"
        ) from None


@contextlib.contextmanager
def read_snapshot(db: sqlite_utils.Database) -> Iterator[sqlite3.Connection]:
    """A consistent read of several queries (a deferred transaction, never a write; on PostgreSQL a
    read-only REPEATABLE READ transaction: one snapshot for all of them)."""
    conn = db.conn
    if conn.in_transaction:
        yield conn
        return
    if is_postgres(db):
        with db.read_snapshot() as conn:
            yield conn
        return
    conn.execute("BEGIN")
    try:
        yield conn
    finally:
        conn.execute("COMMIT")


def database_errors() -> tuple[type[Exception], ...]:
    """The errors a database call can raise, whichever backend: psycopg's only once it was imported
    (a PostgreSQL project was opened), so a SQLite-only process never pays for importing it."""
    psycopg = sys.modules.get("psycopg")
    return (sqlite3.Error,) if psycopg is None else (sqlite3.Error, psycopg.Error)


def database_name(db: sqlite_utils.Database) -> str:
    """Which database ``db`` is: the SQLite file's path, or PostgreSQL's URL and schema."""
    if is_postgres(db):
        return f"{db.url}#{db.schema}"
    row = db.execute("PRAGMA database_list").fetchone()
    return row[2] if row else ""


def dict_rows(source: sqlite_utils.Database | sqlite3.Connection, sql: str, params=()) -> list[dict[str, Any]]:
    """The rows of ``sql`` as dicts keyed by column name, as sqlite-utils' ``db.query()`` gives them;
    ``source`` may also be the bare connection a write transaction yields."""
    conn = source.conn if isinstance(source, sqlite_utils.Database) else source
    cursor = conn.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def one_dict(source: sqlite_utils.Database | sqlite3.Connection, sql: str, params=()) -> dict[str, Any] | None:
    """The first row of ``sql`` as a dict, or None."""
    conn = source.conn if isinstance(source, sqlite_utils.Database) else source
    cursor = conn.execute(sql, params)
    row = cursor.fetchone()
    return None if row is None else dict(zip([column[0] for column in cursor.description], row))
