"""Model versions and their scores (the ranked queue).

Publishing is atomic for readers: a version's row is first inserted with
``published_at`` NULL (staging, invisible to every function here), its
``scores`` are written in short transactions of ``STAGE_CHUNK`` rows, and ONE
small transaction then sets ``published_at`` (and runs ``prepare``, where the
worker moves its model folder into place). So readers never see a version
without its full ranking, and annotators' writes interleave with a 100k-row
publish instead of waiting seconds behind it. A staging version left by a
killed worker is deleted by :func:`discard_unpublished` on the next start.
``stage_chunk=None`` writes everything in one transaction (the queue's own
cold start, which must not leave staging rows since it runs without the lock).

The most recently published version is the current one. Only the newest
``KEEP_SCORED_VERSIONS`` versions keep their scores; older ones are pruned
(``scores_pruned_at`` set) so the table does not grow by a pool per refresh.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import sqlite_utils

from annotator.store.connection import dict_rows, one_dict, write_transaction
from annotator.store.dialect import is_postgres

KEEP_SCORED_VERSIONS = 3
STAGE_CHUNK = 1000
SCORE_COLUMNS = ("version", "example_id", "rank", "score", "predicted", "confidence")
# Pause between two chunk transactions: as long as the chunk took, at most STAGE_PAUSE_S.
# Without it the publisher, already running, would take the writer lock again before a waiting
# writer (an annotator's save) is scheduled, chunk after chunk, and starve annotators for the
# whole publish.
STAGE_PAUSE_S = 0.1

VERSION_COLUMNS = (
    "version", "kind", "encoder_version", "path", "strategy", "n_labels", "metrics",
    "created_at", "n_scored", "scores_pruned_at", "published_at", "quarantined", "watermark",
)
_SELECT = f"SELECT {', '.join(VERSION_COLUMNS)} FROM model_versions WHERE published_at IS NOT NULL"

# (example_id, rank, score, predicted, confidence)
ScoreRow = tuple[int, int, float | None, str | None, float | None]


@dataclass(frozen=True)
class StoredHead:
    """A version's predictor: a linear head over ``head_features`` of encoder ``encoder_version``'s
    embeddings (0 = the base model); ``coef`` is classes x dim, ``intercept`` one per class."""

    encoder_version: int
    classes: list[str]
    coef: np.ndarray
    intercept: np.ndarray


def _check_head(head: StoredHead) -> None:
    coef, intercept = np.asarray(head.coef), np.asarray(head.intercept)
    if coef.ndim != 2 or coef.shape[0] != len(head.classes) or intercept.shape != (len(head.classes),):
        raise ValueError(f"head of shape {coef.shape} / {intercept.shape} for {len(head.classes)} classes")


def _insert_head(conn, version: int, head: StoredHead) -> None:
    coef = np.ascontiguousarray(head.coef, dtype=np.float64)
    intercept = np.ascontiguousarray(head.intercept, dtype=np.float64)
    conn.execute(
        "INSERT INTO version_heads(version, encoder_version, classes, dim, coef, intercept) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (version, int(head.encoder_version), json.dumps(list(head.classes)), coef.shape[1],
         coef.tobytes(), intercept.tobytes()),
    )


def version_head(db: sqlite_utils.Database, version: int) -> StoredHead | None:
    """The stored predictor of a published version, or None (cold start, or published before heads were kept)."""
    row = db.execute(
        "SELECT h.encoder_version, h.classes, h.dim, h.coef, h.intercept FROM version_heads h "
        "JOIN model_versions v ON v.version = h.version WHERE h.version = ? AND v.published_at IS NOT NULL",
        (int(version),),
    ).fetchone()
    if row is None:
        return None
    encoder_version, classes, dim, coef, intercept = row
    classes = json.loads(classes)
    return StoredHead(
        encoder_version=int(encoder_version),
        classes=classes,
        coef=np.frombuffer(coef, dtype=np.float64).reshape(len(classes), int(dim)).copy(),
        intercept=np.frombuffer(intercept, dtype=np.float64).copy(),
    )


def _version(item: dict[str, Any] | None) -> dict[str, Any] | None:
    if item is None:
        return None
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
    watermark: int = 0,
    metrics: dict[str, Any] | None = None,
    prepare: Callable[[int], str | None] | None = None,
    head: StoredHead | None = None,
    n_ranked: int | None = None,
    now: float | None = None,
    stage_chunk: int | None = STAGE_CHUNK,
) -> int:
    """Publish a new version and its scores; return its number.

    ``prepare(version)`` runs inside the publishing transaction once the
    number is known (the worker renames its temporary model folder to
    ``models/vN`` there) and returns the stored ``path``. ``own_encoder`` (a
    fine-tuned version) sets ``encoder_version`` to the new version itself,
    also the head's. ``head`` is the version's predictor, stored in the same
    transaction. ``n_ranked``: the texts the ranking covers when ``scores`` holds only its best
    rows (the rest follow with :func:`append_scores`). If anything fails, nothing is published.
    """
    rows = list(scores)
    created = time.time() if now is None else now
    if head is not None:
        _check_head(head)

    def insert_scores(conn, version: int, chunk: list[ScoreRow]) -> None:
        conn.executemany(
            f"INSERT INTO scores({', '.join(SCORE_COLUMNS)}) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            ((version, int(e), int(r), sc, p, c) for e, r, sc, p, c in chunk),
        )

    def finish(conn, version: int) -> None:
        path = prepare(version) if prepare is not None else None
        if head is not None:
            stored = StoredHead(version, head.classes, head.coef, head.intercept) if own_encoder else head
            _insert_head(conn, version, stored)
        conn.execute(
            "UPDATE model_versions SET path = ?, encoder_version = ?, published_at = ? WHERE version = ?",
            (path, version if own_encoder else encoder_version, time.time(), version),
        )

    with write_transaction(db) as conn:
        version = conn.execute("SELECT COALESCE(MAX(version), 0) + 1 FROM model_versions").fetchone()[0]
        conn.execute(
            "INSERT INTO model_versions(version, kind, encoder_version, strategy, n_labels, watermark, "
            "metrics, created_at, n_scored) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (version, kind, encoder_version, strategy, n_labels, int(watermark), json.dumps(metrics or {}), created,
             len(rows) if n_ranked is None else int(n_ranked)),
        )
        if stage_chunk is None:
            insert_scores(conn, version, rows)
            finish(conn, version)
    if stage_chunk is None:
        _refresh_statistics(db)
        return version
    try:
        if is_postgres(db):
            # one COPY, not under the writer lock: nobody reads an unpublished version's rows, and
            # annotators do not take that lock on PostgreSQL (no pauses to leave them room)
            db.copy_rows("scores", SCORE_COLUMNS, ((version, int(e), int(r), _number(sc), p, _number(c))
                                                   for e, r, sc, p, c in rows))
        else:
            for start in range(0, len(rows), stage_chunk):
                tick = time.perf_counter()
                with write_transaction(db) as conn:
                    insert_scores(conn, version, rows[start:start + stage_chunk])
                time.sleep(min(STAGE_PAUSE_S, time.perf_counter() - tick))
        _refresh_statistics(db)
        with write_transaction(db) as conn:
            finish(conn, version)
    except BaseException:
        discard_unpublished(db, version)
        raise
    return version


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _refresh_statistics(db: sqlite_utils.Database) -> None:
    """On PostgreSQL, ANALYZE the scores and the pool once a version's rows are in, outside the writer
    lock: until autovacuum gets to them the planner believes a new version (and a pool loaded by COPY)
    has a handful of rows and serves the queue's ``ORDER BY rank LIMIT 1`` by sorting the whole
    version (0.2-0.45 s for 20k texts) instead of walking ``scores_rank`` (1 ms). ANALYZE samples a
    bounded number of rows, whatever the pool's size. SQLite plans with its index hints."""
    if is_postgres(db) and not db.conn.in_transaction:
        db.execute("ANALYZE scores, examples")


def _delete_score_chunk(conn, version: int) -> int:
    """Delete up to STAGE_CHUNK score rows of ``version`` by their physical row id (SQLite's ``rowid``,
    PostgreSQL's ``ctid``); how many went."""
    row = "ctid" if is_postgres(conn) else "rowid"
    return conn.execute(f"DELETE FROM scores WHERE {row} IN (SELECT {row} FROM scores WHERE version = ? LIMIT ?)",
                        (version, STAGE_CHUNK)).rowcount


def discard_unpublished(db: sqlite_utils.Database, version: int | None = None) -> list[int]:
    """Delete staging versions (all, or one) and their scores, in short transactions."""
    if version is None:
        versions = [row[0] for row in db.execute(
            "SELECT version FROM model_versions WHERE published_at IS NULL").fetchall()]
    else:
        versions = [version]
    for number in versions:
        while True:
            with write_transaction(db) as conn:
                deleted = _delete_score_chunk(conn, number)
                if deleted < STAGE_CHUNK:
                    conn.execute("DELETE FROM model_versions WHERE version = ? AND published_at IS NULL", (number,))
                    break
            time.sleep(STAGE_PAUSE_S)
    return versions


def append_scores(db: sqlite_utils.Database, version: int, rows: Iterable[ScoreRow]) -> bool:
    """Add score rows to a published version (the rest of a ranking published with its best rows),
    in short transactions; False (nothing more written) once the version is no longer the current one."""
    chunk = list(rows)
    for start in range(0, len(chunk), STAGE_CHUNK):
        tick = time.perf_counter()
        with write_transaction(db) as conn:
            newest = conn.execute("SELECT MAX(version) FROM model_versions WHERE published_at IS NOT NULL").fetchone()
            if newest[0] != version:
                return False
            conn.executemany(
                f"INSERT INTO scores({', '.join(SCORE_COLUMNS)}) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                ((version, int(e), int(r), sc, p, c) for e, r, sc, p, c in chunk[start:start + STAGE_CHUNK]),
            )
        time.sleep(min(STAGE_PAUSE_S, time.perf_counter() - tick))
    return True


def prune_scores(db: sqlite_utils.Database, keep: int = KEEP_SCORED_VERSIONS,
                 budget_s: float | None = None) -> list[int]:
    """Delete the scores of all but the newest ``keep`` versions (one version per transaction).

    With ``budget_s``, stop after about that many seconds (the rest is pruned by the next call);
    returns the versions finished."""
    started = time.perf_counter()
    old = [
        row[0]
        for row in db.execute(
            "SELECT version FROM model_versions WHERE scores_pruned_at IS NULL AND published_at IS NOT NULL "
            "AND version NOT IN (SELECT version FROM model_versions WHERE published_at IS NOT NULL "
            "ORDER BY published_at DESC, version DESC LIMIT ?) ORDER BY version",
            (keep,),
        ).fetchall()
    ]
    for version in old:
        while True:
            with write_transaction(db) as conn:
                deleted = _delete_score_chunk(conn, version)
                if deleted < STAGE_CHUNK:
                    conn.execute("UPDATE model_versions SET scores_pruned_at = ? WHERE version = ?",
                                 (time.time(), version))
                    break
            time.sleep(STAGE_PAUSE_S)
            if budget_s is not None and time.perf_counter() - started > budget_s:
                return old[:old.index(version)]
    return old


def update_metrics(db: sqlite_utils.Database, version: int, extra: dict[str, Any]) -> None:
    """Merge ``extra`` into a version's metrics (one short transaction)."""
    with write_transaction(db) as conn:
        row = conn.execute("SELECT metrics FROM model_versions WHERE version = ?", (version,)).fetchone()
        if row is None:
            return
        metrics = {**(json.loads(row[0]) if row[0] else {}), **extra}
        conn.execute("UPDATE model_versions SET metrics = ? WHERE version = ?", (json.dumps(metrics), version))


def current_version(db: sqlite_utils.Database) -> dict[str, Any] | None:
    """The most recently published version, or None before any exists."""
    return _version(one_dict(db, f"{_SELECT} ORDER BY published_at DESC, version DESC LIMIT 1"))


def get_version(db: sqlite_utils.Database, version: int) -> dict[str, Any] | None:
    return _version(one_dict(db, f"{_SELECT} AND version = ?", (version,)))


def latest_version(db: sqlite_utils.Database, kind: str) -> dict[str, Any] | None:
    """The newest version of one kind (``coldstart``, ``head`` or ``finetune``) that is not quarantined."""
    return _version(
        one_dict(db, f"{_SELECT} AND kind = ? AND quarantined IS NULL ORDER BY published_at DESC, version DESC LIMIT 1",
                   (kind,))
    )


def quarantine_version(db: sqlite_utils.Database, version: int, reason: str) -> None:
    """Mark a version's model files unusable (kept in the history with the reason)."""
    with write_transaction(db) as conn:
        conn.execute("UPDATE model_versions SET quarantined = ? WHERE version = ?", (reason, int(version)))


def list_versions(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Published versions, oldest first."""
    return [_version(row) for row in dict_rows(db, f"{_SELECT} ORDER BY version")]


def version_scores(db: sqlite_utils.Database, version: int) -> list[dict[str, Any]]:
    """All scores of a version, best rank first."""
    return dict_rows(
        db, "SELECT example_id, rank, score, predicted, confidence FROM scores WHERE version = ? ORDER BY rank",
        (version,),
    )


def example_score(db: sqlite_utils.Database, version: int, example_id: int) -> dict[str, Any] | None:
    return one_dict(
        db, "SELECT rank, score, predicted, confidence FROM scores WHERE version = ? AND example_id = ?",
        (version, example_id),
    )


def scored_pool_count(db: sqlite_utils.Database, version: int) -> int:
    """Pool texts (not in the evaluation set) with a score row of ``version``: all of them once its
    ranking is written whole (a large pool's rows after its best ones come in the idle time)."""
    row = db.execute(
        "SELECT (SELECT COUNT(*) FROM scores WHERE version = ?) - "
        "(SELECT COUNT(*) FROM examples e JOIN scores s ON s.version = ? AND s.example_id = e.id "
        "WHERE e.is_eval = 1)", (int(version), int(version))).fetchone()
    return int(row[0])
