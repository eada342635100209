"""SQL of search and explore: which examples pass the filters, what a result row shows, where a
label found by a search records its query.

Filters read the current version's ``scores`` (prediction and confidence), current labels
(``superseded = 0``), ``skips`` and the examples' columns. Every filter is one condition on
``e`` (examples) and ``s`` (the current version's score row, LEFT JOINed: an example the version
did not score has NULL prediction and confidence and fails any filter on them).

Word filters are pushed into SQL as ``LIKE`` conditions (SQLite's ``LIKE`` ignores case for
ASCII letters only), so a caller uses them as a prefilter and checks its own case rules on what
comes back.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

import sqlite_utils

from annotator.store.connection import dict_rows

# The disagreement of the Review page (annotator.store.reporting.disagreements): current
# annotators' labels that differ, with no current adjudication.
_DISAGREEMENT = """e.id IN (
    SELECT example_id FROM labels WHERE superseded = 0 AND kind IN ('annotation', 'import')
    GROUP BY example_id HAVING COUNT(DISTINCT label) >= 2)
  AND NOT EXISTS (SELECT 1 FROM labels a WHERE a.example_id = e.id AND a.superseded = 0
                  AND a.kind = 'adjudication')"""
_LABELED = "EXISTS (SELECT 1 FROM labels l WHERE l.example_id = e.id AND l.superseded = 0)"
_SKIPPED = "EXISTS (SELECT 1 FROM skips k WHERE k.example_id = e.id)"
_CHUNK = 500


def like_pattern(word: str) -> str:
    """``%word%`` with LIKE's wildcards in ``word`` escaped (``ESCAPE '\\'``)."""
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _where(filters: dict[str, Any], like_words: Sequence[str]) -> tuple[list[str], dict[str, Any]]:
    conditions: list[str] = []
    params: dict[str, Any] = {}
    if filters.get("label") is not None:
        conditions.append("EXISTS (SELECT 1 FROM labels l WHERE l.example_id = e.id AND l.superseded = 0 "
                          "AND l.label = :label)")
        params["label"] = filters["label"]
    if filters.get("annotator") is not None:
        conditions.append("EXISTS (SELECT 1 FROM labels l WHERE l.example_id = e.id AND l.superseded = 0 "
                          "AND l.annotator = :annotator)")
        params["annotator"] = filters["annotator"]
    if filters.get("predicted") is not None:
        conditions.append("s.predicted = :predicted")
        params["predicted"] = filters["predicted"]
    if filters.get("min_confidence") is not None:
        conditions.append("s.confidence >= :min_confidence")
        params["min_confidence"] = float(filters["min_confidence"])
    if filters.get("max_confidence") is not None:
        conditions.append("s.confidence <= :max_confidence")
        params["max_confidence"] = float(filters["max_confidence"])
    for name, sql in (("disagreement", _DISAGREEMENT), ("skipped", _SKIPPED), ("labeled", _LABELED)):
        if filters.get(name) is not None:
            conditions.append(sql if filters[name] else f"NOT ({sql})")
    if filters.get("is_eval") is not None:
        conditions.append("e.is_eval = :is_eval")
        params["is_eval"] = int(bool(filters["is_eval"]))
    if filters.get("source") is not None:
        conditions.append("e.source = :source")
        params["source"] = filters["source"]
    for k, word in enumerate(like_words):
        conditions.append(f"e.text LIKE :w{k} ESCAPE '\\'")
        params[f"w{k}"] = like_pattern(word)
    return conditions, params


def matching(db: sqlite_utils.Database, version: int | None, filters: dict[str, Any], *,
             like_words: Sequence[str] = (), with_text: bool = False) -> list[tuple]:
    """``(id, confidence)`` — or ``(id, confidence, text)`` — of every example passing the filters
    and containing each of ``like_words`` (LIKE), by id. ``version`` None: nothing is scored."""
    conditions, params = _where(filters, like_words)
    params["version"] = -1 if version is None else int(version)
    where = " AND ".join(conditions) or "1 = 1"
    columns = "e.id, s.confidence" + (", e.text" if with_text else "")
    return db.execute(
        f"SELECT {columns} FROM examples e LEFT JOIN scores s ON s.version = :version AND s.example_id = e.id "
        f"WHERE {where} ORDER BY e.id",
        params,
    ).fetchall()


def has_filters(filters: dict[str, Any]) -> bool:
    return any(value is not None for value in filters.values())


def confidences(db: sqlite_utils.Database, version: int | None, ids: Sequence[int]) -> dict[int, float | None]:
    """example id -> the version's confidence (None when unscored) for ``ids``."""
    found: dict[int, float | None] = {int(i): None for i in ids}
    if version is None:
        return found
    ids = list(found)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        found.update(db.execute(
            f"SELECT example_id, confidence FROM scores WHERE version = ? AND example_id IN "
            f"({', '.join('?' * len(chunk))})", (int(version), *chunk),
        ).fetchall())
    return found


def result_rows(db: sqlite_utils.Database, version: int | None, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """What a result shows, per example id: text, ext_id, source, is_eval, the version's prediction,
    confidence and score, and the current labels (``labels``: rows of annotator, label, kind,
    created_at, oldest first)."""
    out: dict[int, dict[str, Any]] = {}
    ids = [int(i) for i in ids]
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        marks = ", ".join("?" * len(chunk))
        for row in dict_rows(
            db,
            "SELECT e.id, e.ext_id, e.text, e.source, e.is_eval, s.predicted, s.confidence, s.score, s.rank, "
            "(SELECT json_group_array(json_array(l.annotator, l.label, l.kind, l.created_at, l.id)) FROM "
            " (SELECT * FROM labels WHERE example_id = e.id AND superseded = 0 ORDER BY created_at, id) AS l"
            ") AS labels, EXISTS (SELECT 1 FROM skips k WHERE k.example_id = e.id) AS skipped "
            f"FROM examples e LEFT JOIN scores s ON s.version = ? AND s.example_id = e.id WHERE e.id IN ({marks})",
            (-1 if version is None else int(version), *chunk),
        ):
            row["is_eval"] = bool(row["is_eval"])
            row["skipped"] = bool(row["skipped"])
            row["labels"] = [
                {"annotator": a, "label": label, "kind": kind, "created_at": at, "id": label_id}
                for a, label, kind, at, label_id in json.loads(row["labels"] or "[]")
            ]
            out[row["id"]] = row
    return out


def example_ids(db: sqlite_utils.Database) -> list[int]:
    """Every example's id (the pool and the evaluation set), by id."""
    return [row[0] for row in db.execute("SELECT id FROM examples ORDER BY id")]


def sources(db: sqlite_utils.Database) -> list[str]:
    """The imported files the pool came from (``examples.source``), sorted."""
    return [row[0] for row in db.execute(
        "SELECT DISTINCT source FROM examples WHERE source IS NOT NULL ORDER BY source")]


def label_annotators(db: sqlite_utils.Database) -> list[str]:
    """Everyone who holds a current label, sorted."""
    return [row[0] for row in db.execute(
        "SELECT DISTINCT annotator FROM labels WHERE superseded = 0 ORDER BY annotator")]


def search_query_of(db: sqlite_utils.Database, label_id: int) -> dict[str, Any] | None:
    row = db.execute("SELECT search_query FROM labels WHERE id = ?", (int(label_id),)).fetchone()
    return None if row is None or row[0] is None else json.loads(row[0])


def mark_search_label(conn: sqlite3.Connection, label_id: int, query: dict[str, Any]) -> None:
    """A label given from a search: strategy ``search`` and the search (JSON) that found the text."""
    conn.execute("UPDATE labels SET strategy = 'search', search_query = ? WHERE id = ?",
                 (json.dumps(query, ensure_ascii=False, sort_keys=True), int(label_id)))


def current_labels_of(conn: sqlite3.Connection, ids: Sequence[int]) -> dict[int, dict[str, str]]:
    """example id -> {annotator: label} of the current labels (adjudications included), for ``ids``."""
    out: dict[int, dict[str, str]] = {int(i): {} for i in ids}
    keys = list(out)
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start:start + _CHUNK]
        for example_id, annotator, label in conn.execute(
            f"SELECT example_id, annotator, label FROM labels WHERE superseded = 0 AND example_id IN "
            f"({', '.join('?' * len(chunk))}) ORDER BY created_at, id", chunk,
        ):
            out[example_id][annotator] = label
    return out


def text_lengths(conn: sqlite3.Connection, ids: Sequence[int]) -> dict[int, int]:
    """example id -> characters of its text, for those of ``ids`` that exist."""
    out: dict[int, int] = {}
    keys = [int(i) for i in ids]
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start:start + _CHUNK]
        out.update(conn.execute(f"SELECT id, length(text) FROM examples WHERE id IN ({', '.join('?' * len(chunk))})",
                                chunk).fetchall())
    return out


def point_facts(db: sqlite_utils.Database, version: int | None, ids: Sequence[int]
                ) -> dict[int, tuple[str | None, str | None, float | None]]:
    """example id -> (a current label, the version's prediction, its confidence): what colours a map point.
    The label is the adjudication if any, else the smallest current label by name (cheap; the map
    shows one colour per point)."""
    out: dict[int, tuple] = {}
    keys = [int(i) for i in ids]
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start:start + _CHUNK]
        for example_id, label, predicted, confidence in db.execute(
            "SELECT e.id, (SELECT l.label FROM labels l WHERE l.example_id = e.id AND l.superseded = 0 "
            "              ORDER BY l.kind = 'adjudication' DESC, l.label LIMIT 1), s.predicted, s.confidence "
            "FROM examples e LEFT JOIN scores s ON s.version = ? AND s.example_id = e.id "
            f"WHERE e.id IN ({', '.join('?' * len(chunk))})", (-1 if version is None else int(version), *chunk),
        ):
            out[example_id] = (label, predicted, confidence)
    return out
