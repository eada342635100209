"""Background jobs (embed, refresh, finetune, score): status, progress, heartbeat, error.

The worker writes them; the UI reads them for its training-status panel and
queues jobs for the worker (``queue_job``: predictions of the pool).
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import sqlite_utils

from annotator.store.connection import dict_rows, one_dict, write_transaction

JOB_COLUMNS = (
    "id", "kind", "status", "progress", "message", "error", "created_at", "started_at",
    "finished_at", "heartbeat_at", "pid", "params", "result",
)


def _job(job: dict[str, Any] | None) -> dict[str, Any] | None:
    if job is None:
        return None
    job["params"] = json.loads(job["params"]) if job["params"] else {}
    job["result"] = json.loads(job["result"]) if job["result"] else None
    return job


def queue_job(db: sqlite_utils.Database, kind: str, params: dict[str, Any], message: str | None = None) -> int:
    """Ask the worker for a job (a page's request); it stays 'queued' until a worker claims it."""
    with write_transaction(db) as conn:
        return conn.execute(
            "INSERT INTO jobs(kind, status, progress, message, created_at, params) VALUES (?, 'queued', 0, ?, ?, ?)",
            (kind, message, time.time(), json.dumps(params)),
        ).lastrowid


def claim_queued_job(db: sqlite_utils.Database, kind: str) -> dict[str, Any] | None:
    """The oldest queued job of ``kind``, now marked running by this process; None if there is none."""
    now = time.time()
    with write_transaction(db) as conn:
        row = conn.execute(
            "SELECT id FROM jobs WHERE status = 'queued' AND kind = ? ORDER BY id LIMIT 1", (kind,)
        ).fetchone()
        if row is None:
            return None
        conn.execute(
            "UPDATE jobs SET status = 'running', started_at = ?, heartbeat_at = ?, pid = ? WHERE id = ?",
            (now, now, os.getpid(), row[0]),
        )
    return get_job(db, row[0])


def set_result(db: sqlite_utils.Database, job_id: int, result: dict[str, Any]) -> None:
    with write_transaction(db) as conn:
        conn.execute("UPDATE jobs SET result = ? WHERE id = ?", (json.dumps(result), job_id))


def start_job(db: sqlite_utils.Database, kind: str, message: str | None = None) -> int:
    """Create a job that is running now in this process; return its id."""
    now = time.time()
    with write_transaction(db) as conn:
        cursor = conn.execute(
            "INSERT INTO jobs(kind, status, progress, message, created_at, started_at, heartbeat_at, pid) "
            "VALUES (?, 'running', 0, ?, ?, ?, ?, ?)",
            (kind, message, now, now, now, os.getpid()),
        )
        return cursor.lastrowid


def set_progress(db: sqlite_utils.Database, job_id: int, progress: float, message: str | None = None) -> None:
    """Record progress (0..1) and a heartbeat; a cancelled job keeps its status."""
    with write_transaction(db) as conn:
        conn.execute(
            "UPDATE jobs SET progress = ?, message = COALESCE(?, message), heartbeat_at = ? WHERE id = ?",
            (max(0.0, min(1.0, float(progress))), message, time.time(), job_id),
        )


def finish_job(db: sqlite_utils.Database, job_id: int, message: str | None = None) -> None:
    now = time.time()
    with write_transaction(db) as conn:
        conn.execute(
            "UPDATE jobs SET status = 'done', progress = 1, message = COALESCE(?, message), "
            "finished_at = ?, heartbeat_at = ? WHERE id = ?",
            (message, now, now, job_id),
        )


def fail_job(db: sqlite_utils.Database, job_id: int, error: str) -> None:
    now = time.time()
    with write_transaction(db) as conn:
        conn.execute(
            "UPDATE jobs SET status = 'failed', error = ?, finished_at = ?, heartbeat_at = ? WHERE id = ?",
            (error, now, now, job_id),
        )


def cancel_job(db: sqlite_utils.Database, job_id: int, message: str = "cancelled") -> None:
    """Mark a job cancelled (the worker, once a stop request ended it)."""
    now = time.time()
    with write_transaction(db) as conn:
        conn.execute(
            "UPDATE jobs SET status = 'cancelled', message = ?, finished_at = COALESCE(finished_at, ?) "
            "WHERE id = ? AND status IN ('queued', 'running', 'cancelled')",
            (message, now, job_id),
        )


def get_job(db: sqlite_utils.Database, job_id: int) -> dict[str, Any] | None:
    return _job(one_dict(db, f"SELECT {', '.join(JOB_COLUMNS)} FROM jobs WHERE id = ?", (job_id,)))


def job_status(db: sqlite_utils.Database, job_id: int) -> str | None:
    row = db.execute("SELECT status FROM jobs WHERE id = ?", (job_id,)).fetchone()
    return None if row is None else row[0]


def running_jobs(db: sqlite_utils.Database, kind: str | None = None) -> list[dict[str, Any]]:
    sql = f"SELECT {', '.join(JOB_COLUMNS)} FROM jobs WHERE status IN ('queued', 'running')"
    params: tuple = ()
    if kind is not None:
        sql += " AND kind = ?"
        params = (kind,)
    return [_job(row) for row in dict_rows(db, sql + " ORDER BY id", params)]


def latest_job(db: sqlite_utils.Database, kind: str | None = None) -> dict[str, Any] | None:
    sql = f"SELECT {', '.join(JOB_COLUMNS)} FROM jobs"
    params: tuple = ()
    if kind is not None:
        sql += " WHERE kind = ?"
        params = (kind,)
    return _job(one_dict(db, sql + " ORDER BY id DESC LIMIT 1", params))


def fail_stale_jobs(db: sqlite_utils.Database) -> int:
    """On worker start: jobs left 'running' by a dead worker are marked failed. Returns how many.

    Queued jobs (requests a page made) stay queued for the new worker.
    """
    now = time.time()
    with write_transaction(db) as conn:
        cursor = conn.execute(
            "UPDATE jobs SET status = 'failed', finished_at = ?, "
            "error = 'worker stopped (pid ' || COALESCE(CAST(pid AS TEXT), '?') || ') before the job finished' "
            "WHERE status = 'running'",
            (now,),
        )
        return cursor.rowcount
