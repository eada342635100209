"""Dashboard counts of a multi-label project, where a label row's labels are its members
(``label_members``): the same rows as :mod:`annotator.store.reporting`'s single-label queries, a set
counting once for each label it holds. Portable SQL; no rules here.
"""

from __future__ import annotations

from typing import Any

import sqlite_utils

from annotator.store.connection import dict_rows

_VOTES = "('annotation', 'import')"
_POOL_ONLY = "l.example_id NOT IN (SELECT id FROM examples WHERE is_eval = 1)"
_MEMBERS = "FROM labels l JOIN label_members m ON m.label_id = l.id WHERE l.superseded = 0"


def set_label_counts(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Current annotators' sets of pool texts per label (every label of the set, zero included).
    Rows: label, position, n_labels (sets holding it), n_items (distinct texts)."""
    return dict_rows(
        db,
        f"""
        WITH votes AS (
            SELECT m.name AS label, COUNT(*) AS n_labels, COUNT(DISTINCT l.example_id) AS n_items
            {_MEMBERS} AND l.kind IN {_VOTES} AND {_POOL_ONLY} GROUP BY m.name
        )
        SELECT s.name AS label, s.position AS position,
               COALESCE(v.n_labels, 0) AS n_labels, COALESCE(v.n_items, 0) AS n_items
        FROM labelset s LEFT JOIN votes v ON v.label = s.name
        ORDER BY s.position
        """,
    )


def set_label_counts_over_time(db: sqlite_utils.Database, bucket_seconds: float) -> list[dict[str, Any]]:
    """Current annotators' sets of pool texts per time bucket and label. Rows: bucket, label, n."""
    return dict_rows(
        db,
        f"SELECT CAST(l.created_at / :b AS INTEGER) * :b AS bucket, m.name AS label, COUNT(*) AS n "
        f"{_MEMBERS} AND l.kind IN {_VOTES} AND {_POOL_ONLY} GROUP BY 1, 2 ORDER BY 1, 2",
        {"b": float(bucket_seconds)},
    )


def set_annotator_label_distribution(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Current annotations (not imports) per annotator and label they hold. Rows: annotator, label, n."""
    return dict_rows(
        db,
        f"SELECT l.annotator AS annotator, m.name AS label, COUNT(*) AS n {_MEMBERS} AND l.kind = 'annotation' "
        "GROUP BY 1, 2 ORDER BY 1, 2",
    )
