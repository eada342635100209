"""SQL of sign-in sessions: one row per session, keyed by the SHA-256 of its token.

No rules here (what makes a session valid is :mod:`annotator.services.sessions`).
"""

from __future__ import annotations

import sqlite3
from typing import Any

import sqlite_utils

from annotator.store.connection import one_dict, write_transaction

# "user" quoted: a reserved word in PostgreSQL (unquoted, it is the role's name there)
_COLUMNS = ("token_hash", '"user"', "stamp", "created_at", "expires_at", "seen_at", "client")


def insert_session(db: sqlite_utils.Database, token_hash: str, user: str, stamp: str, now: float,
                   expires_at: float, client: str | None) -> None:
    """Store a new session; sessions past their expiry are deleted in the same transaction."""
    with write_transaction(db) as conn:
        conn.execute("DELETE FROM sessions WHERE expires_at <= ?", (now,))
        conn.execute(
            "INSERT INTO sessions(token_hash, \"user\", stamp, created_at, expires_at, seen_at, client) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (token_hash, user, stamp, now, expires_at, now, client),
        )


def get_session(db: sqlite_utils.Database, token_hash: str) -> dict[str, Any] | None:
    return one_dict(db, f"SELECT {', '.join(_COLUMNS)} FROM sessions WHERE token_hash = ?", (token_hash,))


def touch_session(db: sqlite_utils.Database, token_hash: str, now: float) -> None:
    with write_transaction(db) as conn:
        conn.execute("UPDATE sessions SET seen_at = ? WHERE token_hash = ?", (now, token_hash))


def delete_session(db: sqlite_utils.Database, token_hash: str) -> bool:
    with write_transaction(db) as conn:
        return conn.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,)).rowcount > 0


def end_user_sessions(conn: sqlite3.Connection, user: str, *, keep: str | None = None,
                      stamp: str | None = None) -> int:
    """Inside the caller's transaction: delete every session of ``user`` but ``keep`` (a token
    hash), which gets ``stamp`` (the user's new credential stamp); the number deleted."""
    if keep is not None and stamp is not None:
        conn.execute("UPDATE sessions SET stamp = ? WHERE token_hash = ? AND \"user\" = ?", (stamp, keep, user))
    return conn.execute(
        "DELETE FROM sessions WHERE \"user\" = ? AND token_hash <> ?", (user, keep or "")
    ).rowcount


def count_sessions(db: sqlite_utils.Database, user: str, now: float) -> int:
    """Unexpired sessions of ``user``."""
    return db.execute("SELECT COUNT(*) FROM sessions WHERE \"user\" = ? AND expires_at > ?", (user, now)).fetchone()[0]
