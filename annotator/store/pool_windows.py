"""Every text of the project in windows of ascending ids: how a scoring job streams the pool.

A window ``(after, last)`` holds the examples with ``after < id <= last``, in id order. A job
computes its windows once (:func:`id_windows`) and reads each on its own: through the open
database (:func:`window_texts`) or, in another process such as a Ray task, from the database
opened for that read (:func:`read_window`: the SQLite file read-only, or the PostgreSQL schema).
Examples are never deleted and their texts never change, so windows read at different moments hold the same texts.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import sqlite_utils

from annotator.store.dialect import is_postgres_url

_WINDOW_SQL = "SELECT id, text FROM examples WHERE id > ? AND id <= ? ORDER BY id"


def pool_extent(db: sqlite_utils.Database, last_id: int | None = None) -> tuple[int, int]:
    """(number of examples, largest id) of the examples up to ``last_id`` (all when None); (0, 0) if none."""
    sql = "SELECT COUNT(*), COALESCE(MAX(id), 0) FROM examples"
    count, largest = db.execute(sql if last_id is None else f"{sql} WHERE id <= ?",
                                () if last_id is None else (int(last_id),)).fetchone()
    return int(count), int(largest)


def id_windows(db: sqlite_utils.Database, size: int, last_id: int) -> list[tuple[int, int]]:
    """Windows of ``size`` examples (the last one smaller) covering every example up to ``last_id``."""
    size = max(int(size), 1)
    ends = [row[0] for row in db.execute(
        "SELECT id FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS n FROM examples WHERE id <= ?) "
        "AS w WHERE n % ? = 0 ORDER BY id", (int(last_id), size))]
    count, largest = pool_extent(db, last_id)
    if count and (not ends or ends[-1] != largest):
        ends.append(largest)
    starts = [0, *ends[:-1]]
    return list(zip(starts, ends))


def _rows(conn: sqlite3.Connection, after: int, last: int) -> tuple[np.ndarray, list[str]]:
    rows = conn.execute(_WINDOW_SQL, (int(after), int(last))).fetchall()
    return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)), [r[1] for r in rows]


def window_texts(db: sqlite_utils.Database, after: int, last: int) -> tuple[np.ndarray, list[str]]:
    """(ids, texts) of one window, through the open database."""
    return _rows(db.conn, after, last)


def read_window(location: str | Path, after: int, last: int) -> tuple[np.ndarray, list[str]]:
    """(ids, texts) of one window, from the database at ``location`` (``Project.location``) opened
    for this one read: a SQLite file read-only, or a PostgreSQL project's schema."""
    if is_postgres_url(str(location)):
        from annotator.store.project import connect_location

        db = connect_location(str(location))
        try:
            return _rows(db, after, last)
        finally:
            db.close()
    conn = sqlite3.connect(f"{Path(location).resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    try:
        return _rows(conn, after, last)
    finally:
        conn.close()
