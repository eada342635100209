"""Users: name, role, password hash, active flag and credential stamp.

The credential stamp is a random value that changes whenever a user's
credentials or standing change: a new password, a role change, a deactivation
or a reactivation. Whatever was granted to a signed-in user (today a browser
session, later a session token) records the stamp it was issued under and is
void as soon as the stored stamp differs. Re-hashing the same password with a
stronger cost (on sign-in) is not a change and keeps the stamp.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

import sqlite_utils

from annotator.store.connection import dict_rows, one_dict, write_transaction

ROLES = ("annotator", "lead")
_COLUMNS = ("name", "role", "password_hash", "active", "created_at", "credential_stamp")


def new_stamp() -> str:
    return secrets.token_hex(16)


def insert_user(db: sqlite_utils.Database, name: str, role: str, password_hash: str | None) -> bool:
    """Add an active user; False (nothing written) when the name is taken."""
    with write_transaction(db) as conn:
        if conn.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
            return False
        conn.execute(
            "INSERT INTO users(name, role, password_hash, active, created_at, credential_stamp) "
            "VALUES (?, ?, ?, 1, ?, ?)",
            (name, role, password_hash, time.time(), new_stamp()),
        )
    return True


def count_active_leads(db: sqlite_utils.Database) -> int:
    return db.execute("SELECT COUNT(*) FROM users WHERE role = 'lead' AND active = 1").fetchone()[0]


def get_user(db: sqlite_utils.Database, name: str) -> dict[str, Any] | None:
    return one_dict(db, f"SELECT {', '.join(_COLUMNS)} FROM users WHERE name = ?", (name,))


def list_users(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    return dict_rows(db, "SELECT name, role, active, created_at FROM users ORDER BY name")


def update_user(
    db: sqlite_utils.Database,
    name: str,
    *,
    role: str | None = None,
    password_hash: str | None = None,
    active: bool | None = None,
) -> str | None:
    """Change ``name``'s role, password or status; any change renews the credential stamp.

    Returns the new stamp (None when nothing was asked to change or no such user).
    """
    changes = {"role": role, "password_hash": password_hash, "active": None if active is None else int(active)}
    changes = {column: value for column, value in changes.items() if value is not None}
    with write_transaction(db) as conn:
        if not changes or not conn.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
            return None
        stamp = new_stamp()
        assignments = ", ".join(f"{column} = ?" for column in changes)
        conn.execute(
            f"UPDATE users SET {assignments}, credential_stamp = ? WHERE name = ?", (*changes.values(), stamp, name)
        )
    return stamp


def upgrade_password_hash(db: sqlite_utils.Database, name: str, old_hash: str, new_hash: str) -> bool:
    """Replace ``old_hash`` by ``new_hash`` (same password, stronger cost); the stamp stays.

    Does nothing (returns False) when the stored hash is no longer ``old_hash``:
    a password set meanwhile wins.
    """
    with write_transaction(db) as conn:
        cursor = conn.execute(
            "UPDATE users SET password_hash = ? WHERE name = ? AND password_hash = ?", (new_hash, name, old_hash)
        )
        return cursor.rowcount == 1
