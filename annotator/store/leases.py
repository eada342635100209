"""SQL of queue serving: leases, skips, and picking the next item for an annotator.

Every pick walks the current version's ranking with the ``scores(version, rank)``
index and stops at the first eligible item, so a call touches a handful of rows
however large the pool. An item is eligible for annotator U when U has not
skipped it, U holds no current label on it, no flag holds it (open, or kept out
by a lead), and (current labels) + (unexpired leases of other annotators) < the
labels it needs: 1, or ``overlap_k`` for an overlap item. Overlap items are a deterministic hash of the example id:
``(id * 2654435761 + seed) % 10000 < round(overlap_fraction * 10000)``.

All functions take a ``sqlite3.Connection`` already inside the caller's
``write_transaction`` (the library in ``annotator.services.queue`` owns the transactions).

On PostgreSQL the picks do not run under the project's writer lock (annotators would queue for it,
one ``next_item`` at a time): each pick locks the example row it returns (``FOR NO KEY UPDATE
SKIP LOCKED``, so two annotators never wait for each other and never both take a row), and the
caller confirms with :func:`still_eligible`, a new statement that sees every lease committed
before the row lock was granted (a lease on a row is written only while its row lock is held).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from annotator.store.connection import one_dict
from annotator.store.dialect import is_postgres

OVERLAP_MODULUS = 10_000
# A lease blocks its text for others only while the page holding it shows signs of life (the
# Label page renews ``seen_at`` every few seconds): a closed tab or a crashed app frees its text
# after this long instead of after the whole lease. Long enough for a browser that throttles the
# timers of a background tab to once a minute.
PRESENCE_SECONDS = 180.0
_HASH = 2654435761


@dataclass(frozen=True)
class Overlap:
    """Which items need several labels: the setting values, as SQL parameters."""

    fraction: float = 0.0
    k: int = 2
    seed: int = 0

    @property
    def threshold(self) -> int:
        return int(round(self.fraction * OVERLAP_MODULUS))

    def is_overlap(self, example_id: int) -> bool:
        return (example_id * _HASH + self.seed) % OVERLAP_MODULUS < self.threshold

    def needed(self, example_id: int) -> int:
        return self.k if self.is_overlap(example_id) else 1


def _eligible(column: str) -> str:
    """SQL condition: the example in ``column`` can be served to :annotator now."""
    return f"""
        NOT EXISTS (SELECT 1 FROM skips k WHERE k.example_id = {column} AND k.annotator = :annotator)
        AND NOT EXISTS (SELECT 1 FROM flags f INDEXED BY flags_holding
                        WHERE f.example_id = {column} AND f.status <> 'returned')
        AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.example_id = {column}
                        AND l.annotator = :annotator AND l.superseded = 0)
        AND (SELECT COUNT(*) FROM labels l WHERE l.example_id = {column} AND l.superseded = 0)
          + (SELECT COUNT(*) FROM leases x WHERE x.example_id = {column}
             AND x.annotator <> :annotator AND x.expires_at > :now AND x.seen_at > :stale)
          < CASE WHEN (({column} * {_HASH} + :seed) % {OVERLAP_MODULUS}) < :threshold THEN :k ELSE 1 END
    """


def _claim(conn) -> str:
    """The clause that locks the picked example row on PostgreSQL (skipping rows others hold)."""
    return " FOR NO KEY UPDATE OF e SKIP LOCKED" if is_postgres(conn) else ""


def still_eligible(conn: sqlite3.Connection, example_id: int, annotator: str, now: float,
                   overlap: Overlap) -> bool:
    """Whether ``example_id`` can be served to ``annotator`` now, by the committed state at this statement."""
    row = conn.execute(f"SELECT CASE WHEN {_eligible(':example_id')} THEN 1 ELSE 0 END",
                       _params(annotator, now, overlap, example_id=example_id)).fetchone()
    return bool(row[0])


def lock_example(conn: sqlite3.Connection, example_id: int) -> bool:
    """Whether the example exists; on PostgreSQL its row is locked until the transaction ends (waiting
    for a pick that holds it), so no pick can lease it meanwhile."""
    suffix = " FOR NO KEY UPDATE" if is_postgres(conn) else ""
    return conn.execute(f"SELECT 1 FROM examples WHERE id = ?{suffix}", (example_id,)).fetchone() is not None


def _params(annotator: str, now: float, overlap: Overlap, **extra: Any) -> dict[str, Any]:
    return {"annotator": annotator, "now": now, "stale": now - PRESENCE_SECONDS, "seed": overlap.seed,
            "threshold": overlap.threshold, "k": overlap.k, **extra}


def pick_ranked(
    conn: sqlite3.Connection, version: int, annotator: str, now: float, overlap: Overlap
) -> dict[str, Any] | None:
    """The best-ranked eligible non-evaluation item of ``version``."""
    return one_dict(
        conn,
        f"""SELECT s.example_id, s.rank, s.score, s.predicted, s.confidence
            FROM scores s INDEXED BY scores_rank JOIN examples e ON e.id = s.example_id
            WHERE s.version = :version AND e.is_eval = 0 AND {_eligible('s.example_id')}
            ORDER BY s.rank LIMIT 1{_claim(conn)}""",
        _params(annotator, now, overlap, version=version),
    )


def pick_eval(
    conn: sqlite3.Connection, version: int | None, annotator: str, now: float, overlap: Overlap
) -> dict[str, Any] | None:
    """The first eligible evaluation item (by id), with the version's prediction if scored."""
    return one_dict(
        conn,
        f"""SELECT e.id AS example_id, s.rank, s.score, s.predicted, s.confidence
            FROM examples e INDEXED BY examples_eval
            LEFT JOIN scores s ON s.version = :version AND s.example_id = e.id
            WHERE e.is_eval = 1 AND {_eligible('e.id')}
            ORDER BY e.id LIMIT 1{_claim(conn)}""",
        _params(annotator, now, overlap, version=version),
    )


def pick_unscored(
    conn: sqlite3.Connection, version: int | None, annotator: str, now: float, overlap: Overlap
) -> dict[str, Any] | None:
    """An eligible item the version did not rank (imported after it), by id.

    Scans the pool: used only once the ranking has nothing left to serve.
    """
    return one_dict(
        conn,
        f"""SELECT e.id AS example_id, NULL AS rank, NULL AS score, NULL AS predicted, NULL AS confidence
            FROM examples e
            WHERE e.is_eval = 0
            AND NOT EXISTS (SELECT 1 FROM scores s WHERE s.version = :version AND s.example_id = e.id)
            AND {_eligible('e.id')}
            ORDER BY e.id LIMIT 1{_claim(conn)}""",
        _params(annotator, now, overlap, version=version),
    )


def pick_from(conn: sqlite3.Connection, start: float, annotator: str, now: float,
              overlap: Overlap) -> dict[str, Any] | None:
    """An eligible non-evaluation item at a position in the pool, before any ranking exists.

    ``start`` in [0, 1) names a place in the id range; the first eligible item from there (then
    from the beginning) comes back. The caller draws ``start`` at random per pick, so the texts come
    spread over the file, not in its order, and a pick reads a short run of the id index however
    large the pool.
    """
    sql = f"""SELECT e.id AS example_id, NULL AS rank, NULL AS score, NULL AS predicted, NULL AS confidence
              FROM examples e WHERE e.is_eval = 0 AND e.id {{op}} :from_id AND {_eligible('e.id')}
              ORDER BY e.id LIMIT 1{_claim(conn)}"""
    bounds = conn.execute("SELECT MIN(id), MAX(id) FROM examples").fetchone()
    if bounds[0] is None:
        return None
    from_id = bounds[0] + int(start * (bounds[1] - bounds[0] + 1))
    params = _params(annotator, now, overlap, from_id=from_id)
    return one_dict(conn, sql.format(op=">="), params) or one_dict(conn, sql.format(op="<"), params)


LEASE_COLUMNS = ("example_id", "annotator", "leased_at", "expires_at", "model_version", "strategy", "score",
                 "seen_at")


def lease_is_live(lease: dict[str, Any] | None, now: float) -> bool:
    """Unexpired, and its page showed signs of life within PRESENCE_SECONDS (so nobody else was served it)."""
    return lease is not None and lease["expires_at"] > now and (lease["seen_at"] or 0.0) > now - PRESENCE_SECONDS


def active_lease(conn: sqlite3.Connection, annotator: str, now: float) -> dict[str, Any] | None:
    """The annotator's newest unexpired lease."""
    return one_dict(
        conn,
        f"SELECT {', '.join(LEASE_COLUMNS)} FROM leases WHERE annotator = ? AND expires_at > ? "
        "ORDER BY leased_at DESC LIMIT 1",
        (annotator, now),
    )


def get_lease(conn: sqlite3.Connection, example_id: int, annotator: str) -> dict[str, Any] | None:
    return one_dict(
        conn,
        f"SELECT {', '.join(LEASE_COLUMNS)} FROM leases WHERE example_id = ? AND annotator = ?",
        (example_id, annotator),
    )


def put_lease(
    conn: sqlite3.Connection,
    example_id: int,
    annotator: str,
    now: float,
    expires_at: float,
    model_version: int | None,
    strategy: str | None,
    score: float | None,
) -> None:
    conn.execute(
        "INSERT INTO leases(example_id, annotator, leased_at, expires_at, model_version, strategy, score, seen_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(example_id, annotator) DO UPDATE SET "
        "leased_at = excluded.leased_at, expires_at = excluded.expires_at, "
        "model_version = excluded.model_version, strategy = excluded.strategy, score = excluded.score, "
        "seen_at = excluded.seen_at",
        (example_id, annotator, now, expires_at, model_version, strategy, score, now),
    )


def extend_lease(conn: sqlite3.Connection, example_id: int, annotator: str, expires_at: float,
                 now: float) -> None:
    conn.execute(
        "UPDATE leases SET expires_at = ?, seen_at = ? WHERE example_id = ? AND annotator = ?",
        (expires_at, now, example_id, annotator),
    )


def mark_seen(conn: sqlite3.Connection, example_id: int, annotator: str, now: float) -> bool:
    """The page holding the lease is alive: renew its presence (not its expiry); True if held."""
    return conn.execute(
        "UPDATE leases SET seen_at = ? WHERE example_id = ? AND annotator = ? AND expires_at > ?",
        (now, example_id, annotator, now),
    ).rowcount > 0


def drop_lease(conn: sqlite3.Connection, example_id: int, annotator: str) -> bool:
    cursor = conn.execute("DELETE FROM leases WHERE example_id = ? AND annotator = ?", (example_id, annotator))
    return cursor.rowcount > 0


def drop_expired_leases(conn: sqlite3.Connection, now: float) -> int:
    """Delete expired leases (housekeeping: no check counts them). On PostgreSQL the rows another
    annotator's transaction is deleting are skipped, not waited for: many annotators' picks would
    otherwise queue on the same expired row."""
    if is_postgres(conn):
        return conn.execute("DELETE FROM leases WHERE ctid = ANY(ARRAY(SELECT ctid FROM leases WHERE expires_at <= ? "
                            "FOR UPDATE SKIP LOCKED))", (now,)).rowcount
    return conn.execute("DELETE FROM leases WHERE expires_at <= ?", (now,)).rowcount


def add_skip(conn: sqlite3.Connection, example_id: int, annotator: str, now: float) -> None:
    conn.execute(
        "INSERT INTO skips(example_id, annotator, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
        (example_id, annotator, now),
    )


def count_label_rows(conn: sqlite3.Connection, annotator: str) -> int:
    """All label rows the annotator ever saved (covering index; drives eval interleaving)."""
    return conn.execute("SELECT COUNT(*) FROM labels WHERE annotator = ?", (annotator,)).fetchone()[0]


def example_exists(conn: sqlite3.Connection, example_id: int) -> bool:
    return conn.execute("SELECT 1 FROM examples WHERE id = ?", (example_id,)).fetchone() is not None


def text_length(conn: sqlite3.Connection, example_id: int) -> int | None:
    """Characters in an example's text (None: no such example)."""
    row = conn.execute("SELECT length(text) FROM examples WHERE id = ?", (example_id,)).fetchone()
    return None if row is None else int(row[0])


def example_text(conn: sqlite3.Connection, example_id: int) -> tuple[str, str | None, bool] | None:
    row = conn.execute("SELECT text, meta, is_eval FROM examples WHERE id = ?", (example_id,)).fetchone()
    return None if row is None else (row[0], row[1], bool(row[2]))


def held_by_flag(conn: sqlite3.Connection, example_id: int) -> bool:
    """A flag that is open, or that a lead kept, holds the text out of the queue."""
    return conn.execute(
        "SELECT 1 FROM flags WHERE example_id = ? AND status <> 'returned' LIMIT 1", (example_id,)
    ).fetchone() is not None


def others_on(conn: sqlite3.Connection, example_id: int, annotator: str, now: float) -> tuple[int, int]:
    """(current labels of other annotators, their live leases) on one example."""
    labels = conn.execute(
        "SELECT COUNT(*) FROM labels WHERE example_id = ? AND superseded = 0 AND annotator <> ?",
        (example_id, annotator),
    ).fetchone()[0]
    leases = conn.execute(
        "SELECT COUNT(*) FROM leases WHERE example_id = ? AND annotator <> ? AND expires_at > ? AND seen_at > ?",
        (example_id, annotator, now, now - PRESENCE_SECONDS),
    ).fetchone()[0]
    return int(labels), int(leases)


def annotator_counts(conn: sqlite3.Connection, annotator: str, since: float) -> tuple[int, int]:
    """(current labels since ``since``, current labels in total) of one annotator."""
    row = conn.execute(
        "SELECT COALESCE(SUM(CASE WHEN created_at >= ? THEN 1 ELSE 0 END), 0), COUNT(*) FROM labels "
        "WHERE annotator = ? AND superseded = 0 AND kind = 'annotation'",
        (since, annotator),
    ).fetchone()
    return int(row[0]), int(row[1])
