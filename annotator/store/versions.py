"""Model versions and their scores (the ranked queue).

A version is *published* by inserting its ``model_versions`` row and all its
``scores`` rows in ONE write transaction, so readers never see a version
without its ranking. The newest version is the current one. Only the newest
``KEEP_SCORED_VERSIONS`` versions keep their scores; older ones are pruned
(``scores_pruned_at`` set) so the table does not grow by a pool per refresh.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from typing import Any

import sqlite_utils

from annotator.store.connection import write_transaction

KEEP_SCORED_VERSIONS = 3

VERSION_COLUMNS = (
    "version", "kind", "encoder_version", "path", "strategy", "n_labels", "metrics",
    "created_at", "n_scored", "scores_pruned_at",
)

# (example_id, rank, score, predicted, confidence)
ScoreRow = tuple[int, int, float | None, str | None, float | None]


def _version(row: tuple | None) -> dict[str, Any] | None:
    if row is None:
        return None
    item = dict(zip(VERSION_COLUMNS, row))
    item["metrics"] = json.loads(item["metrics"]) if item["metrics"] else {}
    return item


def publish_version(
    db: sqlite_utils.Database,
    *,
    kind: str,
    strategy: str | None,
    scores: Iterable[ScoreRow],
    encoder_version: int | None = None,
    own_encoder: bool = False,
    n_labels: int = 0,
    metrics: dict[str, Any] | None = None,
    prepare: Callable[[int], str | None] | None = None,
    now: float | None = None,
) -> int:
    """Publish a new version and its scores atomically; return its number.

    ``prepare(version)`` runs inside the transaction once the number is known
    (the worker renames its temporary model folder to ``models/vN`` there) and
    returns the stored ``path``. ``own_encoder`` (a fine-tuned version) sets
    ``encoder_version`` to the new version itself. If anything fails, nothing
    is published.
    """
    rows = list(scores)
    with write_transaction(db) as conn:
        version = conn.execute("SELECT COALESCE(MAX(version), 0) + 1 FROM model_versions").fetchone()[0]
        path = prepare(version) if prepare is not None else None
        if own_encoder:
            encoder_version = version
        conn.execute(
            "INSERT INTO model_versions(version, kind, encoder_version, path, strategy, n_labels, "
            "metrics, created_at, n_scored) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (version, kind, encoder_version, path, strategy, n_labels,
             json.dumps(metrics or {}), time.time() if now is None else now, len(rows)),
        )
        conn.executemany(
            "INSERT INTO scores(version, example_id, rank, score, predicted, confidence) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            ((version, int(e), int(r), s, p, c) for e, r, s, p, c in rows),
        )
    return version


def prune_scores(db: sqlite_utils.Database, keep: int = KEEP_SCORED_VERSIONS) -> list[int]:
    """Delete the scores of all but the newest ``keep`` versions (one version per transaction)."""
    old = [
        row[0]
        for row in db.execute(
            "SELECT version FROM model_versions WHERE scores_pruned_at IS NULL "
            "AND version <= (SELECT MAX(version) FROM model_versions) - ? ORDER BY version",
            (keep,),
        ).fetchall()
    ]
    for version in old:
        with write_transaction(db) as conn:
            conn.execute("DELETE FROM scores WHERE version = ?", (version,))
            conn.execute(
                "UPDATE model_versions SET scores_pruned_at = ? WHERE version = ?", (time.time(), version)
            )
    return old


def current_version(db: sqlite_utils.Database) -> dict[str, Any] | None:
    """The newest published version, or None before any exists."""
    return _version(
        db.execute(
            f"SELECT {', '.join(VERSION_COLUMNS)} FROM model_versions ORDER BY version DESC LIMIT 1"
        ).fetchone()
    )


def get_version(db: sqlite_utils.Database, version: int) -> dict[str, Any] | None:
    return _version(
        db.execute(
            f"SELECT {', '.join(VERSION_COLUMNS)} FROM model_versions WHERE version = ?", (version,)
        ).fetchone()
    )


def latest_version(db: sqlite_utils.Database, kind: str) -> dict[str, Any] | None:
    """The newest version of one kind (``coldstart``, ``head`` or ``finetune``)."""
    return _version(
        db.execute(
            f"SELECT {', '.join(VERSION_COLUMNS)} FROM model_versions WHERE kind = ? "
            "ORDER BY version DESC LIMIT 1",
            (kind,),
        ).fetchone()
    )


def list_versions(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    rows = db.execute(
        f"SELECT {', '.join(VERSION_COLUMNS)} FROM model_versions ORDER BY version"
    ).fetchall()
    return [_version(row) for row in rows]


def version_scores(db: sqlite_utils.Database, version: int) -> list[dict[str, Any]]:
    """All scores of a version, best rank first."""
    columns = ("example_id", "rank", "score", "predicted", "confidence")
    rows = db.execute(
        f"SELECT {', '.join(columns)} FROM scores WHERE version = ? ORDER BY rank", (version,)
    ).fetchall()
    return [dict(zip(columns, row)) for row in rows]


def count_scores(db: sqlite_utils.Database, version: int) -> int:
    return db.execute("SELECT COUNT(*) FROM scores WHERE version = ?", (version,)).fetchone()[0]


def example_score(db: sqlite_utils.Database, version: int, example_id: int) -> dict[str, Any] | None:
    row = db.execute(
        "SELECT rank, score, predicted, confidence FROM scores WHERE version = ? AND example_id = ?",
        (version, example_id),
    ).fetchone()
    return None if row is None else dict(zip(("rank", "score", "predicted", "confidence"), row))
