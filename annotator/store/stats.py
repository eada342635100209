"""Counting queries for project statistics, read in one consistent snapshot."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from annotator.store.connection import read_snapshot


def counts(db: sqlite_utils.Database) -> dict[str, Any]:
    """Pool, evaluation set, labels and per-label / per-annotator counts of current labels."""
    with read_snapshot(db) as conn:
        one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
        pool = one("SELECT COUNT(*) FROM examples")
        eval_size = one("SELECT COUNT(*) FROM examples WHERE is_eval = 1")
        labeled = one("SELECT COUNT(DISTINCT example_id) FROM labels WHERE superseded = 0")
        eval_labeled = one(
            "SELECT COUNT(DISTINCT l.example_id) FROM labels l JOIN examples e ON e.id = l.example_id "
            "WHERE l.superseded = 0 AND e.is_eval = 1"
        )
        labels_total = one("SELECT COUNT(*) FROM labels")
        current = one("SELECT COUNT(*) FROM labels WHERE superseded = 0")
        adjudicated = one(
            "SELECT COUNT(DISTINCT example_id) FROM labels WHERE superseded = 0 AND kind = 'adjudication'"
        )
        per_label = {name: 0 for (name,) in conn.execute("SELECT name FROM labelset ORDER BY position")}
        for name, count in conn.execute(
            "SELECT label, COUNT(*) FROM labels WHERE superseded = 0 GROUP BY label"
        ):
            per_label[name] = count
        per_annotator = dict(
            conn.execute(
                "SELECT annotator, COUNT(*) FROM labels WHERE superseded = 0 "
                "GROUP BY annotator ORDER BY annotator"
            ).fetchall()
        )
    return {
        "pool": pool,
        "labeled": labeled,
        "unlabeled": pool - labeled,
        "eval": eval_size,
        "eval_labeled": eval_labeled,
        "per_label": per_label,
        "per_annotator": per_annotator,
        "labels_current": current,
        "labels_total": labels_total,
        "adjudicated": adjudicated,
    }
