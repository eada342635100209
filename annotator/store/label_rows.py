"""Queries behind exports: label rows with their provenance and example columns."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from annotator.store.connection import dict_rows, read_snapshot

RAW_LABEL_COLUMNS = (
    "label_id", "example_id", "ext_id", "text", "label", "annotator", "kind", "created_at",
    "seconds", "model_version", "strategy", "score", "superseded", "superseded_at",
    "superseded_reason", "is_eval", "source",
)

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
            "l.superseded_reason, e.is_eval, e.source "
            f"FROM labels l JOIN examples e ON e.id = l.example_id {where} ORDER BY l.id",
        )


def current_label_rows(db: sqlite_utils.Database, *, include_eval: bool = True) -> list[dict[str, Any]]:
    """Current labels (not superseded) with their example's columns, by example then time."""
    where = "" if include_eval else "AND e.is_eval = 0"
    with read_snapshot(db) as conn:
        return dict_rows(
            conn,
            "SELECT e.id AS example_id, e.ext_id, e.text, e.is_eval, l.id AS label_id, l.label, l.annotator, "
            "l.kind, l.created_at, l.model_version "
            "FROM labels l JOIN examples e ON e.id = l.example_id "
            f"WHERE l.superseded = 0 {where} ORDER BY e.id, l.created_at, l.id",
        )
