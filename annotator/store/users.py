"""Users: name, role, password hash, active flag."""

from __future__ import annotations

import time
from typing import Any

import sqlite_utils

from annotator.errors import UserError
from annotator.store.connection import write_transaction

ROLES = ("annotator", "lead")


def _check(name: str, role: str | None) -> None:
    if not isinstance(name, str) or not name.strip() or name != name.strip() or len(name) > 64:
        raise UserError(f"invalid user name {name!r}: 1-64 characters, no surrounding spaces")
    if role is not None and role not in ROLES:
        raise UserError(f"invalid role {role!r}: choose annotator or lead")


def add_user(db: sqlite_utils.Database, name: str, role: str, password_hash: str | None) -> None:
    _check(name, role)
    with write_transaction(db) as conn:
        if conn.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
            raise UserError(f"user {name!r} already exists")
        conn.execute(
            "INSERT INTO users(name, role, password_hash, active, created_at) VALUES (?, ?, ?, 1, ?)",
            (name, role, password_hash, time.time()),
        )


def get_user(db: sqlite_utils.Database, name: str) -> dict[str, Any] | None:
    row = db.execute(
        "SELECT name, role, password_hash, active, created_at FROM users WHERE name = ?", (name,)
    ).fetchone()
    if row is None:
        return None
    return dict(zip(("name", "role", "password_hash", "active", "created_at"), row))


def list_users(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    rows = db.execute("SELECT name, role, active, created_at FROM users ORDER BY name").fetchall()
    return [dict(zip(("name", "role", "active", "created_at"), row)) for row in rows]


def update_user(
    db: sqlite_utils.Database,
    name: str,
    *,
    role: str | None = None,
    password_hash: str | None = None,
    active: bool | None = None,
) -> None:
    _check(name, role)
    with write_transaction(db) as conn:
        if not conn.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
            raise UserError(f"no user {name!r}")
        if role is not None:
            conn.execute("UPDATE users SET role = ? WHERE name = ?", (role, name))
        if password_hash is not None:
            conn.execute("UPDATE users SET password_hash = ? WHERE name = ?", (password_hash, name))
        if active is not None:
            conn.execute("UPDATE users SET active = ? WHERE name = ?", (int(active), name))


def remove_user(db: sqlite_utils.Database, name: str) -> None:
    """Deactivate ``name``: their labels keep naming them, so the row stays."""
    update_user(db, name, active=False)
