"""A project's tables in PostgreSQL: the connection object the store uses on that backend.

The store's SQL is written once, with SQLite's ``?`` and ``:name`` placeholders; this module is
the thin dialect layer that lets the same text run on PostgreSQL through psycopg 3:

* placeholders become psycopg's (``?`` -> ``%s``, ``:name`` -> ``%(name)s``, ``%`` -> ``%%``),
  outside string literals; SQLite's index hints (``INDEXED BY x``) are dropped;
* an ``INSERT`` into a table with an identity ``id`` gets ``RETURNING id``, so ``cursor.lastrowid``
  works as on SQLite;
* SQLite's JSON functions become PostgreSQL's (``json_group_array`` -> ``json_agg``...), giving JSON
  text as SQLite does;
* Python ``bool`` parameters are sent as 0/1 (SQLite stores them so; the schema keeps its 0/1
  integer columns), and ``numeric`` results (``SUM`` of a bigint) come back as int or float.

What is not mechanical lives beside the SQLite version in the store module that needs it
(``connection.write_transaction``, ``leases``, ``versions``, ``examples.copy_examples``...), chosen
with :func:`is_postgres`.

A project is a schema in a database (``search_path`` is set to it on connect), so several projects
share one server and one database without qualifying a table name anywhere. Parameters are bound
on the client (psycopg's ``ClientCursor``): the server sees literals, as SQLite's loosely typed SQL
expects (``? IS NULL`` needs no cast).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import socket
from collections.abc import Iterator
from typing import Any

import psycopg
from psycopg import sql as pgsql
from psycopg.adapt import Loader
from psycopg.types.numeric import IntDumper
from psycopg.types.string import TextLoader

from annotator.store.writer_lock import WriterLockTimeout

BUSY_TIMEOUT_S = 60.0
_INDEX_HINT = re.compile(r"\s+INDEXED\s+BY\s+\w+", re.IGNORECASE)
_LIKE = re.compile(r"(?<![\w'])LIKE(?![\w'])")
_INSERT_INTO = re.compile(r"^\s*INSERT\s+(?:OR\s+\w+\s+)?INTO\s+(\w+)", re.IGNORECASE)
_NAME_START = re.compile(r"[A-Za-z_]")


class _BoolAsInt(IntDumper):
    """True/False as 1/0: the schema's flags are integers on both backends."""

    def dump(self, obj: Any) -> bytes:
        return b"1" if obj else b"0"


class _Number(Loader):
    """``numeric`` (what PostgreSQL's SUM of integers gives) as int when whole, else float."""

    def load(self, data: Any) -> int | float:
        text = bytes(data).decode("ascii")
        return int(text) if text.lstrip("-").isdigit() else float(text)


# SQLite's JSON functions -> PostgreSQL's: (template, SQLite's result on no rows). An aggregate over no
# rows is NULL on PostgreSQL but '[]' / '{}' on SQLite, and the store reads JSON text on both.
_JSON_CALLS = {
    "json_group_array": ("COALESCE(CAST(json_agg({}) AS text), '[]')", None),
    "json_group_object": ("COALESCE(CAST(json_object_agg({}) AS text), '{{}}')", None),
    "json_object": ("json_build_object({})", None),
    "json_array": ("json_build_array({})", None),
}
_JSON_CALL = re.compile(r"\b(" + "|".join(_JSON_CALLS) + r")\(", re.IGNORECASE)


def _closing(sql: str, start: int) -> int:
    """The index of the parenthesis closing the one before ``start`` (string literals skipped)."""
    depth, i, quote = 1, start, None
    while i < len(sql):
        c = sql[i]
        if quote is not None:
            quote = None if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise ValueError(f"unbalanced parentheses in: {sql}")


def _json_calls(sql: str) -> str:
    match = _JSON_CALL.search(sql)
    if match is None:
        return sql
    end = _closing(sql, match.end())
    template = _JSON_CALLS[match.group(1).lower()][0]
    inner = _json_calls(sql[match.end():end])
    return sql[:match.start()] + template.format(inner) + _json_calls(sql[end + 1:])


@functools.lru_cache(maxsize=4096)
def translate(sql: str) -> str:
    """SQLite-flavoured SQL with qmark or named placeholders -> psycopg's format placeholders."""
    sql = _LIKE.sub("ILIKE", _json_calls(_INDEX_HINT.sub("", sql)))
    out: list[str] = []
    i, n = 0, len(sql)
    quote: str | None = None
    while i < n:
        c = sql[i]
        if c == "%":
            out.append("%%")
        elif quote is not None:
            out.append(c)
            if c == quote:
                quote = None
        elif c in "'\"":
            quote = c
            out.append(c)
        elif c == "-" and sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end < 0 else end
            out.append(sql[i:end])
            i = end
            continue
        elif c == "?":
            out.append("%s")
        elif c == ":" and i + 1 < n and _NAME_START.match(sql[i + 1]) and (i == 0 or sql[i - 1] != ":"):
            j = i + 1
            while j < n and (sql[j].isalnum() or sql[j] == "_"):
                j += 1
            out.append(f"%({sql[i + 1:j]})s")
            i = j
            continue
        else:
            out.append(c)
        i += 1
    return "".join(out)


class PgCursor:
    """What the store reads from a cursor: rows, ``description``, ``rowcount`` and ``lastrowid``."""

    def __init__(self, cursor: psycopg.ClientCursor, lastrowid: int | None = None):
        self._cursor = cursor
        self.lastrowid = lastrowid

    @property
    def description(self):
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    def fetchone(self):
        return self._cursor.fetchone() if self._cursor.description else None

    def fetchall(self) -> list:
        return self._cursor.fetchall() if self._cursor.description else []

    def fetchmany(self, size: int) -> list:
        return self._cursor.fetchmany(size) if self._cursor.description else []

    def __iter__(self):
        return iter(self._cursor) if self._cursor.description else iter(())


class PgDatabase:
    """A project's PostgreSQL connection, standing for both ``sqlite_utils.Database`` and the bare
    ``sqlite3.Connection`` in the store (``db.conn`` is the object itself).

    Autocommit between calls, like the SQLite connection: ``connection.write_transaction`` and
    ``read_snapshot`` group statements explicitly.
    """

    dialect = "postgresql"

    def __init__(self, url: str, schema: str, *, busy_timeout: float = BUSY_TIMEOUT_S, create_schema: bool = False):
        self.url = url
        self.schema = schema
        self.busy_timeout = busy_timeout
        self.raw = psycopg.connect(url, autocommit=True, cursor_factory=psycopg.ClientCursor)
        self.raw.adapters.register_dumper(bool, _BoolAsInt)
        self.raw.adapters.register_loader("numeric", _Number)
        for json_type in ("json", "jsonb"):  # JSON as text, as SQLite gives it (the store parses it)
            self.raw.adapters.register_loader(json_type, TextLoader)
        if create_schema:
            self.raw.execute(pgsql.SQL("CREATE SCHEMA {}").format(pgsql.Identifier(schema)))
        self.raw.execute(pgsql.SQL("SET search_path TO {}").format(pgsql.Identifier(schema)))
        self._identity_tables: frozenset[str] | None = None

    # -- what sqlite_utils.Database and sqlite3.Connection offer and the store uses --------------

    @property
    def conn(self) -> PgDatabase:
        return self

    @property
    def in_transaction(self) -> bool:
        return self.raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE

    @property
    def writer_key(self) -> int:
        """The advisory lock that serialises this project's write transactions (any host)."""
        return lock_key("writer", self.schema)

    def execute(self, sql: str, params: Any = ()) -> PgCursor:
        text = translate(sql)
        cursor = self.raw.cursor()
        table = _INSERT_INTO.match(sql)
        if table and "RETURNING" not in sql.upper() and table.group(1).lower() in self.identity_tables():
            cursor.execute(text + " RETURNING id", _params(params))
            row = cursor.fetchone()
            return PgCursor(cursor, None if row is None else row[0])
        cursor.execute(text, _params(params))
        return PgCursor(cursor)

    def execute_script(self, script: str) -> None:
        """Several statements without parameters in one round trip (the migrations' DDL)."""
        self.raw.execute(script)

    def executemany(self, sql: str, seq: Any) -> PgCursor:
        cursor = self.raw.cursor()
        cursor.executemany(translate(sql), [_params(p) for p in seq])
        return PgCursor(cursor)

    def copy_rows(self, table: str, columns: tuple[str, ...], rows: Any) -> int:
        """``COPY table (columns) FROM STDIN`` of ``rows`` (tuples); the number written. A table with an
        identity ``id`` given explicit ids has its sequence moved past them."""
        statement = pgsql.SQL("COPY {} ({}) FROM STDIN").format(
            pgsql.Identifier(table), pgsql.SQL(", ").join(map(pgsql.Identifier, columns)))
        count = 0
        with self.raw.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        if count and "id" in columns and table in self.identity_tables():
            self.raw.execute(pgsql.SQL("SELECT setval(pg_get_serial_sequence({}, 'id'), "
                                       "(SELECT MAX(id) FROM {}))").format(pgsql.Literal(table),
                                                                          pgsql.Identifier(table)))
        return count

    def query(self, sql: str, params: Any = ()):
        cursor = self.execute(sql, params)
        names = [column[0] for column in cursor.description or ()]
        for row in cursor:
            yield dict(zip(names, row))

    def table_names(self) -> list[str]:
        return [row[0] for row in self.raw.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s ORDER BY table_name",
            (self.schema,))]

    def identity_tables(self) -> frozenset[str]:
        """Tables whose ``id`` the server assigns (what ``lastrowid`` is read back from)."""
        if self._identity_tables is None:
            names = frozenset(row[0] for row in self.raw.execute(
                "SELECT table_name FROM information_schema.columns WHERE table_schema = %s "
                "AND column_name = 'id' AND is_identity = 'YES'", (self.schema,)))
            if not names:  # before the first migration: ask again next time
                return names
            self._identity_tables = names
        return self._identity_tables

    def forget_schema(self) -> None:
        """A migration changed the tables: look their identity columns up again."""
        self._identity_tables = None

    @contextlib.contextmanager
    def write_transaction(self, key: int | None = None) -> Iterator[PgDatabase]:
        """BEGIN; the writer lock, or the advisory lock ``key`` (waiting at most ``busy_timeout``);
        COMMIT, or ROLLBACK on error. The lock is asked for in the BEGIN's round trip."""
        raw = self.raw
        try:
            try:
                raw.execute(f"BEGIN; SET LOCAL lock_timeout = '{int(self.busy_timeout * 1000)}ms'; "
                            f"SELECT pg_advisory_xact_lock({int(self.writer_key if key is None else key)}); "
                            "SET LOCAL lock_timeout = 0")
            except psycopg.errors.LockNotAvailable:
                raise WriterLockTimeout(
                    f"the project's writer lock stayed taken for over {self.busy_timeout:g} s by another "
                    "connection; nothing was written") from None
            yield self
            raw.execute("COMMIT")
        except BaseException:
            if self.in_transaction:
                raw.execute("ROLLBACK")
            raise

    def annotator_key(self, annotator: str) -> int:
        """The advisory lock that serialises one annotator's queue actions (any host)."""
        return lock_key(f"annotator/{annotator}", self.schema)

    @contextlib.contextmanager
    def read_snapshot(self) -> Iterator[PgDatabase]:
        """One snapshot for several queries: a read-only REPEATABLE READ transaction."""
        self.raw.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            yield self
        finally:
            if self.in_transaction:
                self.raw.execute("COMMIT")

    def try_session_lock(self, purpose: str) -> str | None:
        """Take this project's advisory lock ``purpose`` for as long as this connection lives; None
        when taken, else who holds it (its host and pid, from the holder's ``application_name``)."""
        key = lock_key(purpose, self.schema)
        name = f"labelloop {purpose} {socket.gethostname()} pid {os.getpid()}"
        self.raw.execute("SELECT set_config('application_name', %s, false)", (name[:63],))
        if self.raw.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]:
            return None
        row = self.raw.execute(
            "SELECT a.application_name, a.client_addr FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
            "AND l.classid = %s::bigint::oid AND l.objid = %s::bigint::oid LIMIT 1",
            ((key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF)).fetchone()
        if row is None:
            return "held by another connection"
        return f"held by {row[0] or 'a connection'}" + (f" from {row[1]}" if row[1] else "")

    def commit(self) -> None:
        """End an open transaction, as ``sqlite3.Connection.commit`` (a no-op between transactions)."""
        if self.in_transaction:
            self.raw.execute("COMMIT")

    def close(self) -> None:
        self.raw.close()


def _params(params: Any) -> Any:
    if params is None or isinstance(params, dict):
        return params
    return tuple(params)


def lock_key(purpose: str, schema: str) -> int:
    """A signed 64-bit advisory lock key for ``purpose`` in the project ``schema``."""
    digest = hashlib.sha256(f"labelloop:{purpose}:{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


