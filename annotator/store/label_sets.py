"""SQL of multi-label annotations: one ``labels`` row (``label`` NULL) with its set in ``label_members``.

A set may be empty ("none of these"). Rows are never deleted: a new set supersedes the annotator's
current one exactly like a single label (:func:`annotator.store.labels.write_current_label`), so the
history, undo and the queue's counts hold for both kinds of project. No rules here:
:mod:`annotator.services.label_sets`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

import sqlite_utils

from annotator.errors import LabelSetError
from annotator.store.connection import bulk_cache, write_transaction
from annotator.store.labels import write_current_label

_CHUNK = 500


def add_label_set(
    db: sqlite_utils.Database,
    example_id: int,
    names: Sequence[str],
    annotator: str,
    *,
    seconds: float | None = None,
    model_version: int | None = None,
    strategy: str | None = None,
    score: float | None = None,
    kind: str = "annotation",
    late: bool = False,
    suggestion: str | None = None,
    now: float | None = None,
) -> int:
    """Save one label set in one short transaction (the row and its members); return the row id."""
    with write_transaction(db) as conn:
        known = {row[0] for row in conn.execute("SELECT name FROM labelset")}
        unknown = [name for name in names if name not in known]
        if unknown:
            raise LabelSetError(f"label {unknown[0]!r} is not in the label set")
        label_id = write_current_label(
            conn, example_id, None, annotator, seconds=seconds, model_version=model_version, strategy=strategy,
            score=score, kind=kind, late=late, suggestion=suggestion, now=now,
        )
        conn.executemany("INSERT INTO label_members(label_id, name) VALUES (?, ?)",
                         [(label_id, name) for name in dict.fromkeys(names)])
        return label_id


def members_of(source: sqlite_utils.Database | sqlite3.Connection, label_ids: Iterable[int]) -> dict[int, list[str]]:
    """label row id -> its set, in the label set's order (an empty set included for every id asked)."""
    ids = list(dict.fromkeys(label_ids))
    found: dict[int, list[str]] = {label_id: [] for label_id in ids}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start: start + _CHUNK]
        marks = ", ".join("?" * len(chunk))
        for label_id, name in source.execute(
            f"SELECT m.label_id, m.name FROM label_members m JOIN labelset s ON s.name = m.name "
            f"WHERE m.label_id IN ({marks}) ORDER BY m.label_id, s.position",
            chunk,
        ):
            found[label_id].append(name)
    return found


def current_sets_by(conn: sqlite3.Connection, example_ids: Iterable[int], annotator: str) -> dict[int, frozenset[str]]:
    """The annotator's current set of each of the given examples that has one."""
    ids = list(dict.fromkeys(example_ids))
    rows: dict[int, int] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start: start + _CHUNK]
        marks = ", ".join("?" * len(chunk))
        rows.update(conn.execute(
            f"SELECT id, example_id FROM labels WHERE superseded = 0 AND label IS NULL AND annotator = ? "
            f"AND example_id IN ({marks})", [annotator, *chunk]).fetchall())
    members = members_of(conn, rows)
    return {example_id: frozenset(members[label_id]) for label_id, example_id in rows.items()}


def insert_label_sets(conn: sqlite3.Connection, rows: Iterable[tuple[int, Sequence[str], str, str, float]]) -> int:
    """In the caller's transaction, insert (example_id, names, annotator, kind, created_at) sets; the count."""
    count = 0
    with bulk_cache(conn):
        for example_id, names, annotator, kind, created_at in rows:
            label_id = conn.execute(
                "INSERT INTO labels(example_id, label, annotator, kind, created_at) VALUES (?, NULL, ?, ?, ?)",
                (example_id, annotator, kind, created_at),
            ).lastrowid
            conn.executemany("INSERT INTO label_members(label_id, name) VALUES (?, ?)",
                             [(label_id, name) for name in dict.fromkeys(names)])
            count += 1
    return count


def current_label_sets(db: sqlite_utils.Database, *, evaluation: bool | None = None) -> list[dict]:
    """Every current multi-label row: ``id``, ``example_id``, ``annotator``, ``kind``, ``created_at``,
    ``names`` (set order). ``evaluation``: only the evaluation set's (True) or the others' (False) rows."""
    where = "" if evaluation is None else f" AND e.is_eval = {int(bool(evaluation))}"
    rows = [
        {"id": row[0], "example_id": row[1], "annotator": row[2], "kind": row[3], "created_at": row[4]}
        for row in db.execute(
            "SELECT l.id, l.example_id, l.annotator, l.kind, l.created_at FROM labels l "
            f"JOIN examples e ON e.id = l.example_id WHERE l.superseded = 0 AND l.label IS NULL{where} "
            "ORDER BY l.example_id, l.created_at, l.id"
        )
    ]
    members = members_of(db, (row["id"] for row in rows))
    for row in rows:
        row["names"] = members[row["id"]]
    return rows
