"""Reads for reviewing a multi-label project: the texts that two or more annotators gave a set, and
the current sets of given texts with their members. Portable SQL (no JSON functions); no rules here:
:mod:`annotator.services.set_review`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlite_utils

from annotator.store.connection import dict_rows
from annotator.store.label_sets import members_of

_CHUNK = 500
VOTE_KINDS = ("annotation", "import")


def overlapped_set_examples(db: sqlite_utils.Database) -> list[int]:
    """Ids of the texts holding two or more current annotator sets (adjudications not counted)."""
    return [row[0] for row in db.execute(
        "SELECT example_id FROM labels WHERE superseded = 0 AND label IS NULL AND kind IN (?, ?) "
        "GROUP BY example_id HAVING COUNT(*) >= 2 ORDER BY example_id", VOTE_KINDS)]


def current_sets_of(db: sqlite_utils.Database, example_ids: Iterable[int]) -> list[dict[str, Any]]:
    """Every current set row of the given texts: ``id``, ``example_id``, ``annotator``, ``kind``,
    ``created_at``, ``late``, ``text``, ``is_eval``, ``names`` (label-set order); by text, then time."""
    ids = list(dict.fromkeys(int(i) for i in example_ids))
    rows: list[dict[str, Any]] = []
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start: start + _CHUNK]
        marks = ", ".join("?" * len(chunk))
        rows.extend(dict_rows(
            db,
            "SELECT l.id, l.example_id, l.annotator, l.kind, l.created_at, l.late, e.text, e.is_eval "
            "FROM labels l JOIN examples e ON e.id = l.example_id "
            f"WHERE l.superseded = 0 AND l.label IS NULL AND l.example_id IN ({marks})",
            chunk,
        ))
    rows.sort(key=lambda row: (row["example_id"], row["created_at"], row["id"]))
    members = members_of(db, (row["id"] for row in rows))
    for row in rows:
        row["names"] = members[row["id"]]
    return rows
