"""The pool: examples with text, metadata, source file and a content hash."""

from __future__ import annotations

import hashlib
import json
import random
import sqlite3
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

import sqlite_utils

from annotator.store.connection import bulk_cache, one_dict, write_transaction
from annotator.store.dialect import is_postgres


def text_hash(text: str) -> str:
    """Content hash for de-duplication: NFC, trimmed, runs of whitespace collapsed."""
    # str.split() splits on exactly the characters ``\s`` matches: the same as
    # re.sub(r"\s+", " ", ...).strip(), three times faster on 100k texts.
    normal = " ".join(unicodedata.normalize("NFC", text).split())
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()[:32]


def get_example(db: sqlite_utils.Database, example_id: int) -> dict[str, Any] | None:
    item = one_dict(db, "SELECT id, ext_id, text, meta, source, is_eval FROM examples WHERE id = ?", (example_id,))
    if item is None:
        return None
    item["meta"] = json.loads(item["meta"]) if item["meta"] else {}
    item["is_eval"] = bool(item["is_eval"])
    return item


def count_examples(db: sqlite_utils.Database) -> int:
    return db.execute("SELECT COUNT(*) FROM examples").fetchone()[0]


# Bulk operations used by the importer. SQLite allows 999 bound variables per
# statement in old builds; lookups go in chunks well under that.
_CHUNK = 500

EXAMPLE_INSERT_COLUMNS = ("ext_id", "text", "meta", "source", "text_hash", "is_eval", "created_at")


def ids_by_hash(conn: sqlite3.Connection, hashes: Iterable[str]) -> dict[str, int]:
    """Map each of ``hashes`` that is already in the pool to its example id.

    Looks up in chunks; when the hashes are many compared with the pool, one
    scan of the pool's hashes is faster than thousands of chunked lookups.
    """
    wanted = list(dict.fromkeys(hashes))
    found: dict[str, int] = {}
    if not wanted:
        return found
    pool = conn.execute("SELECT MAX(id) FROM examples").fetchone()[0] or 0
    if len(wanted) * 4 >= pool:
        wanted_set = set(wanted)
        return {h: i for h, i in conn.execute("SELECT text_hash, id FROM examples") if h in wanted_set}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        marks = ", ".join("?" * len(chunk))
        found.update(
            conn.execute(f"SELECT text_hash, id FROM examples WHERE text_hash IN ({marks})", chunk)
        )
    return found


def insert_examples(conn: sqlite3.Connection, rows: Sequence[tuple]) -> list[int]:
    """Insert rows of ``EXAMPLE_INSERT_COLUMNS``; return their new ids, in order.

    Call inside :func:`annotator.store.connection.write_transaction`: under the
    write lock, ids are given explicitly from ``MAX(id) + 1`` on, so no lookup
    is needed afterwards. On PostgreSQL the rows go in with ``COPY``.
    """
    start = (conn.execute("SELECT MAX(id) FROM examples").fetchone()[0] or 0) + 1
    ids = list(range(start, start + len(rows)))
    if is_postgres(conn):  # COPY: one stream of rows instead of one statement per row
        conn.copy_rows("examples", ("id", *EXAMPLE_INSERT_COLUMNS),
                       ((example_id, *row) for example_id, row in zip(ids, rows)))
        return ids
    with bulk_cache(conn):
        conn.executemany(
            f"INSERT INTO examples(id, {', '.join(EXAMPLE_INSERT_COLUMNS)}) "
            f"VALUES (?, {', '.join('?' * len(EXAMPLE_INSERT_COLUMNS))})",
            ((example_id, *row) for example_id, row in zip(ids, rows)),
        )
    return ids


def mark_eval(conn: sqlite3.Connection, example_ids: Iterable[int]) -> int:
    """Mark examples as the reserved evaluation set (never trained on); return how many changed."""
    cursor = conn.executemany(
        "UPDATE examples SET is_eval = 1 WHERE id = ? AND is_eval = 0", ((i,) for i in example_ids)
    )
    return cursor.rowcount


def reserve_eval_sample(db: sqlite_utils.Database, n: int, seed: int) -> list[int]:
    """Mark a seeded random sample of ``n`` unlabeled pool items as evaluation items.

    One write transaction: the candidates are read and marked under the write
    lock, so an item labeled meanwhile can never be picked. Returns the ids
    marked (fewer than ``n`` only if fewer candidates exist; callers check first).
    """
    with write_transaction(db) as conn:
        candidates = [
            row[0]
            for row in conn.execute(
                "SELECT id FROM examples AS e WHERE e.is_eval = 0 AND NOT EXISTS "
                "(SELECT 1 FROM labels AS l WHERE l.example_id = e.id AND l.superseded = 0) "
                "ORDER BY id"
            )
        ]
        chosen = sorted(random.Random(seed).sample(candidates, min(n, len(candidates))))
        conn.executemany("UPDATE examples SET is_eval = 1 WHERE id = ?", [(i,) for i in chosen])
    return chosen


def backdate_examples(db: sqlite_utils.Database, seconds: float) -> None:
    """Move every example's ``created_at`` back by ``seconds``: a simulated team's history (benchmarks,
    screenshots) starts earlier than the import that made the pool."""
    with write_transaction(db) as conn:
        conn.execute("UPDATE examples SET created_at = created_at - ?", (float(seconds),))


def ids_by_ext_id(db: sqlite_utils.Database, ext_ids: list[str]) -> dict[str, int]:
    """ext_id -> example id for those of ``ext_ids`` in the pool (the first example of each)."""
    found: dict[str, int] = {}
    for ext_id in ext_ids:
        row = db.execute("SELECT MIN(id) FROM examples WHERE ext_id = ?", (ext_id,)).fetchone()
        if row[0] is not None:
            found[ext_id] = int(row[0])
    return found


def metadata_keys(db: sqlite_utils.Database, *, sample: int = 2_000) -> list[str]:
    """The names of the other columns kept with the newest ``sample`` examples, sorted."""
    newest = "(SELECT meta FROM examples WHERE meta IS NOT NULL ORDER BY id DESC LIMIT ?) AS m"
    if is_postgres(db):
        sql = f"SELECT DISTINCT k FROM {newest}, json_object_keys(CAST(m.meta AS json)) AS k ORDER BY k"
    else:
        sql = f"SELECT DISTINCT j.key FROM {newest}, json_each(m.meta) AS j ORDER BY j.key"
    return [row[0] for row in db.execute(sql, (sample,))]
