"""Queries behind exports: label rows with their provenance and example columns."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from annotator.store.connection import dict_rows, read_snapshot

RAW_LABEL_COLUMNS = (
    "label_id", "example_id", "ext_id", "text", "label", "annotator", "kind", "created_at",
    "seconds", "model_version", "strategy", "score", "superseded", "superseded_at",
    "superseded_reason", "is_eval", "source", "suggestion", "original_label", "note",
)
# the raw export's header before flags, comments and label management (still recognised on import)
RAW_LABEL_COLUMNS_V1 = RAW_LABEL_COLUMNS[:17]

CURRENT_LABEL_COLUMNS = (
    "example_id", "ext_id", "text", "is_eval", "label_id", "label", "annotator", "kind",
    "created_at", "model_version",
)


def raw_label_rows(db: sqlite_utils.Database, *, include_eval: bool = True) -> list[dict[str, Any]]:
    """Every label row, current and superseded, oldest first, with its example's columns."""
    where = "" if include_eval else "WHERE e.is_eval = 0"
    with read_snapshot(db) as conn:
        return dict_rows(
            conn,
            "SELECT l.id AS label_id, l.example_id, e.ext_id, e.text, l.label, l.annotator, l.kind, l.created_at, "
            "l.seconds, l.model_version, l.strategy, l.score, l.superseded, l.superseded_at, "
            "l.superseded_reason, e.is_eval, e.source, l.suggestion, l.original_label, NULL AS note "
            f"FROM labels l JOIN examples e ON e.id = l.example_id {where} ORDER BY l.id",
        )


def raw_note_rows(db: sqlite_utils.Database, *, include_eval: bool = True) -> list[dict[str, Any]]:
    """Flags and comments as rows of the raw export (kind ``flag`` or ``comment``), oldest first: a
    flag is "superseded" once a lead settled it (``superseded_reason``: returned or excluded), its
    ``note`` is "reason: the annotator's note"; a comment's ``note`` is its text."""
    where = "" if include_eval else "WHERE e.is_eval = 0"
    with read_snapshot(db) as conn:
        return dict_rows(
            conn,
            "SELECT * FROM ("
            "SELECT NULL AS label_id, f.example_id, e.ext_id, e.text, NULL AS label, f.annotator, 'flag' AS kind, "
            "f.created_at, NULL AS seconds, NULL AS model_version, NULL AS strategy, NULL AS score, "
            "CASE WHEN f.status <> 'open' THEN 1 ELSE 0 END AS superseded, f.resolved_at AS superseded_at, "
            "CASE WHEN f.status = 'open' THEN NULL ELSE f.status END AS superseded_reason, e.is_eval, e.source, "
            "NULL AS suggestion, NULL AS original_label, "
            "f.reason || CASE WHEN f.note IS NULL THEN '' ELSE ': ' || f.note END AS note "
            f"FROM flags f JOIN examples e ON e.id = f.example_id {where} "
            "UNION ALL "
            "SELECT NULL, c.example_id, e.ext_id, e.text, NULL, c.author, 'comment', c.created_at, NULL, NULL, "
            "NULL, NULL, 0, NULL, NULL, e.is_eval, e.source, NULL, NULL, c.body "
            f"FROM comments c JOIN examples e ON e.id = c.example_id {where}"
            ") AS notes ORDER BY created_at, kind, example_id",
        )


def _current_label_sql(include_eval: bool) -> str:
    where = "" if include_eval else "AND e.is_eval = 0"
    return (f"SELECT {', '.join(_CURRENT_SELECT)} FROM labels l JOIN examples e ON e.id = l.example_id "
            f"WHERE l.superseded = 0 {where} ORDER BY e.id, l.created_at, l.id")


_CURRENT_SELECT = (
    "e.id AS example_id", "e.ext_id", "e.text", "e.is_eval", "l.id AS label_id", "l.label", "l.annotator",
    "l.kind", "l.created_at", "l.model_version",
)  # CURRENT_LABEL_COLUMNS, in that order


def current_label_rows(db: sqlite_utils.Database, *, include_eval: bool = True) -> list[dict[str, Any]]:
    """Current labels (not superseded) with their example's columns, by example then time."""
    with read_snapshot(db) as conn:
        return dict_rows(conn, _current_label_sql(include_eval))


def current_label_tuples(db: sqlite_utils.Database, *, include_eval: bool = True) -> list[tuple]:
    """:func:`current_label_rows` as tuples in :data:`CURRENT_LABEL_COLUMNS` order (no dict per
    row: what an export of a million labels reads)."""
    with read_snapshot(db) as conn:
        return conn.execute(_current_label_sql(include_eval)).fetchall()
