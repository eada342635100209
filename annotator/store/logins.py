"""Failed sign-in bookkeeping, per user name, shared by every process.

The policy (how long a name is locked after how many failures) lives in
``annotator.auth``; this module only holds the SQL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlite_utils

from annotator.store.connection import write_transaction

_COLUMNS = ("name", "failures", "first_failure_at", "last_failure_at", "locked_until")


def get_login_state(db: sqlite_utils.Database, name: str) -> dict[str, Any] | None:
    """The failure record of ``name`` (known user or not), or None when it has none."""
    row = db.execute(
        f"SELECT {', '.join(_COLUMNS)} FROM login_attempts WHERE name = ?", (name,)
    ).fetchone()
    return dict(zip(_COLUMNS, row)) if row else None


def record_failure(
    db: sqlite_utils.Database,
    name: str,
    now: float,
    *,
    forget_after: float,
    lock_seconds: Callable[[int], float],
) -> dict[str, Any]:
    """Count one failed sign-in for ``name`` and set its lock; return the new record.

    A record whose last failure is older than ``forget_after`` seconds starts
    again from zero. ``lock_seconds(failures)`` gives the lock after that many
    failures (0 = no lock).
    """
    with write_transaction(db) as conn:
        row = conn.execute(
            "SELECT failures, last_failure_at FROM login_attempts WHERE name = ?", (name,)
        ).fetchone()
        failures = 1
        if row is not None and now - row[1] <= forget_after:
            failures = row[0] + 1
        locked_until = now + lock_seconds(failures)
        conn.execute(
            "INSERT INTO login_attempts(name, failures, first_failure_at, last_failure_at, locked_until) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET "
            "failures = excluded.failures, last_failure_at = excluded.last_failure_at, "
            "locked_until = excluded.locked_until, "
            "first_failure_at = CASE WHEN excluded.failures = 1 THEN excluded.first_failure_at "
            "ELSE login_attempts.first_failure_at END",
            (name, failures, now, now, locked_until),
        )
    return get_login_state(db, name)


def clear_failures(db: sqlite_utils.Database, name: str) -> None:
    """Forget the failures of ``name`` (after a successful sign-in or an unlock by a lead)."""
    with write_transaction(db) as conn:
        conn.execute("DELETE FROM login_attempts WHERE name = ?", (name,))
