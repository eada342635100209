"""A project is a folder: ``models/``, ``embeddings/`` and its database, and its open handle.

The database is ``project.db`` in the folder (SQLite, WAL), or a schema in a PostgreSQL database:
then the folder holds ``database.json`` (the server's URL and the schema's name, mode 0600) and no
SQLite file. One schema per project, not one database: several projects share a database that the
team's administrator created once, the application's role needs only ``CREATE`` on that database
(not ``CREATEDB``), one connection pool per database serves them all, and a project is dropped or
dumped as one schema (``DROP SCHEMA ... CASCADE``, ``pg_dump -n``).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from annotator.config import DATABASE_FILENAME, DB_FILENAME, EMBEDDINGS_DIRNAME, MODELS_DIRNAME
from annotator.errors import ProjectError
from annotator.store import migrations
from annotator.store.connection import FILE_MODE, close, connect
from annotator.store.dialect import is_postgres, is_postgres_url

SCHEMA_FRAGMENT = "#schema="


@dataclass
class Project:
    """An open project: its folder and a connection to its database."""

    path: Path
    db: sqlite_utils.Database

    @property
    def db_path(self) -> Path:
        return self.path / DB_FILENAME

    @property
    def location(self) -> str:
        """Where another process (a Ray task on another host) opens this project's tables:
        the SQLite file's path, or ``postgresql://...#schema=NAME``."""
        if is_postgres(self.db):
            return f"{self.db.url}{SCHEMA_FRAGMENT}{self.db.schema}"
        return str(self.db_path)

    @property
    def models_dir(self) -> Path:
        return self.path / MODELS_DIRNAME

    @property
    def embeddings_dir(self) -> Path:
        return self.path / EMBEDDINGS_DIRNAME

    def close(self) -> None:
        close(self.db)

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def has_database(folder: Path) -> bool:
    """The folder is a project: it has ``project.db`` or names a PostgreSQL schema."""
    return (folder / DB_FILENAME).is_file() or (folder / DATABASE_FILENAME).is_file()


def _schema_name(folder: Path) -> str:
    """``lp_<folder name>_<random>``: recognisable in ``\\dn``, unique however many folders share a name."""
    slug = re.sub(r"[^a-z0-9_]+", "_", folder.resolve().name.lower()).strip("_")[:40] or "project"
    return f"lp_{slug}_{secrets.token_hex(4)}"


def _connect_postgres(url: str, schema: str, *, create: bool = False):
    try:  # psycopg only where a project uses PostgreSQL
        import psycopg

        from annotator.store.postgres import PgDatabase
    except ImportError:
        raise ProjectError("this project's database is PostgreSQL: install psycopg "
                           "(pip install 'labelloop[postgres]')") from None
    try:
        return PgDatabase(url, schema, create_schema=create)
    except psycopg.Error as error:
        where = re.sub(r"//([^:@/]*):[^@/]*@", r"//\1:***@", url)  # never print a password
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ProjectError(f"PostgreSQL at {where}, schema {schema}: {first}") from None


def _read_location(folder: Path) -> tuple[str, str]:
    try:
        record = json.loads((folder / DATABASE_FILENAME).read_text(encoding="utf-8"))
        return str(record["url"]), str(record["schema"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ProjectError(f"{folder / DATABASE_FILENAME}: unreadable ({error})") from None


def _write_location(folder: Path, url: str, schema: str) -> None:
    path = folder / DATABASE_FILENAME
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)  # the URL may hold a password
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({"url": url, "schema": schema}, handle, indent=2)
        handle.write("\n")


def open_database(folder: Path, *, check_same_thread: bool = True, database_url: str | None = None) -> Project:
    """Connect to ``folder``'s database and bring its schema up to date.

    ``database_url`` (a new project only): make a new schema for it in that PostgreSQL database and
    record it in the folder; otherwise the folder's ``database.json`` is followed if present, else
    ``project.db`` is opened (created if missing).
    """
    if database_url is not None:
        if not is_postgres_url(database_url):
            raise ProjectError(f"--database must be a postgresql:// URL, not {database_url!r}")
        schema = _schema_name(folder)
        db = _connect_postgres(database_url, schema, create=True)
        _write_location(folder, database_url, schema)
    elif (folder / DATABASE_FILENAME).is_file():
        db = _connect_postgres(*_read_location(folder))
    else:
        db = connect(folder / DB_FILENAME, check_same_thread=check_same_thread)
    migrations.apply(db)
    return Project(path=folder, db=db)


class LockTaken(ProjectError):
    """Another process, on this host or another, holds the lock (the message says which)."""


@contextlib.contextmanager
def hold_across_hosts(folder: Path, purpose: str) -> Iterator[None]:
    """For a PostgreSQL project, hold the lock named ``purpose`` on its server for the block (a
    session-level advisory lock on a connection of its own), or raise LockTaken at once. A SQLite
    project is one host's: nothing to do (its callers lock a file in the folder)."""
    if not (folder / DATABASE_FILENAME).is_file():
        yield
        return
    db = _connect_postgres(*_read_location(folder))
    try:
        holder = db.try_session_lock(purpose)
        if holder is not None:
            raise LockTaken(holder)
        yield
    finally:
        db.close()  # the server lets go of a session lock with its connection


def connect_location(location: str):
    """A connection to the database at :attr:`Project.location` (for reads in another process)."""
    if is_postgres_url(location):
        url, _, schema = location.partition(SCHEMA_FRAGMENT)
        return _connect_postgres(url, schema)
    return connect(location)


def drop_database(project: Project) -> None:
    """Remove a project's tables that were never used (a failed ``create_project``), then close it."""
    if is_postgres(project.db):
        project.db.raw.execute(f'DROP SCHEMA IF EXISTS "{project.db.schema}" CASCADE')
        project.close()
        (project.path / DATABASE_FILENAME).unlink(missing_ok=True)
        return
    project.close()
    for suffix in ("", "-wal", "-shm", "-writer"):
        (project.path / f"{DB_FILENAME}{suffix}").unlink(missing_ok=True)
