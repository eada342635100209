"""Sign-in throttle records, shared by every process (SQL only; the policy is in annotator.services.auth).

Each attempt touches three records: its (name, client) pair, its client (any
name) and its name (any client). :func:`reserve_attempt` counts the attempt as
a failure and sets the new locks in ONE write transaction, before the password
is checked, so parallel attempts queue on the count instead of all reading the
same one; :func:`settle_success` then gives the reservation back.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils

from annotator.store.connection import dict_rows, write_transaction

PAIR, CLIENT, NAME = "pair", "client", "name"
SCOPES = (PAIR, CLIENT, NAME)


def _keys(name: str, client: str) -> dict[str, tuple[str, str]]:
    return {PAIR: (name, client), CLIENT: ("", client), NAME: (name, "")}


def reserve_attempt(
    db: sqlite_utils.Database,
    name: str,
    client: str,
    now: float,
    *,
    forget_after: float,
    lock_seconds: Callable[[str, int], float],
) -> tuple[str, float] | None:
    """Count one attempt for ``name`` from ``client`` unless a record bars it.

    Returns None when the attempt is reserved (its password may be checked
    now), else ``(scope, seconds_left)`` of the longest lock in the way, having
    written nothing. The name's record does not bar a client that signed in as
    this name before (its pair is trusted until ``trusted_until``). Failures
    older than ``forget_after`` seconds are forgotten. ``lock_seconds(scope,
    failures)`` is the lock after that many failures (0 = none).
    """
    keys = _keys(name, client)
    with write_transaction(db) as conn:
        conn.execute(
            "DELETE FROM sign_in_throttle WHERE seen_at < ? AND COALESCE(trusted_until, 0) < ?",
            (now - forget_after, now),
        )
        rows = {scope: _row(conn, scope, key) for scope, key in keys.items()}
        if rows[PAIR] is not None and (rows[PAIR][3] or 0) > now:
            del keys[NAME], rows[NAME]  # a client the name signed in from is outside the name's ceiling
        barring = [(row[2] - now, scope) for scope, row in rows.items() if row is not None and row[2] > now]
        if barring:
            seconds_left, scope = max(barring)
            return scope, seconds_left
        for scope, key in keys.items():
            row = rows[scope]
            failures = 1 + (row[0] if row is not None and now - row[1] <= forget_after else 0)
            conn.execute(
                "INSERT INTO sign_in_throttle(scope, name, client, failures, seen_at, locked_until) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(scope, name, client) DO UPDATE SET "
                "failures = excluded.failures, seen_at = excluded.seen_at, locked_until = excluded.locked_until",
                (scope, *key, failures, now, now + lock_seconds(scope, failures)),
            )
    return None


def settle_success(
    db: sqlite_utils.Database,
    name: str,
    client: str,
    now: float,
    *,
    trust_seconds: float,
    lock_seconds: Callable[[str, int], float],
) -> None:
    """A reserved attempt succeeded: clear its pair and trust it for ``trust_seconds``;
    give the client's and the name's records their count back (and shorten a lock it set)."""
    keys = _keys(name, client)
    with write_transaction(db) as conn:
        conn.execute(
            "UPDATE sign_in_throttle SET failures = 0, locked_until = 0, seen_at = ?, trusted_until = ? "
            "WHERE scope = ? AND name = ? AND client = ?",
            (now, now + trust_seconds, PAIR, *keys[PAIR]),
        )
        for scope in (CLIENT, NAME):
            row = _row(conn, scope, keys[scope])
            if row is None or row[1] != now:
                continue  # not reserved by this attempt (the name's record spares a trusted client)
            failures = max(0, row[0] - 1)
            conn.execute(
                "UPDATE sign_in_throttle SET failures = ?, locked_until = ? "
                "WHERE scope = ? AND name = ? AND client = ?",
                (failures, min(row[2], now + lock_seconds(scope, failures)), scope, *keys[scope]),
            )


def _row(conn, scope: str, key: tuple[str, str]) -> tuple | None:
    """(failures, seen_at, locked_until, trusted_until) of one record, or None."""
    return conn.execute(
        "SELECT failures, seen_at, locked_until, trusted_until FROM sign_in_throttle "
        "WHERE scope = ? AND name = ? AND client = ?", (scope, *key),
    ).fetchone()


def throttle_records(db: sqlite_utils.Database, name: str | None = None) -> list[dict]:
    """Every record (of ``name``'s pairs and name record when given), for tests and inspection."""
    sql = "SELECT scope, name, client, failures, seen_at, locked_until, trusted_until FROM sign_in_throttle"
    return dict_rows(db, sql + (" WHERE name = ?" if name is not None else ""), (() if name is None else (name,)))
