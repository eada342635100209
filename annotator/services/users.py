"""Users and roles: who may sign in, and the rules a change must keep — for the Users page and
``labelloop user`` alike.

* A name is 1-64 characters without surrounding spaces; a role is ``annotator`` or ``lead``.
* A new password is checked (:func:`annotator.services.passwords.check_new_password`) and
  stored hashed; any change of password, role or status renews the user's credential stamp
  and deletes their sessions in the same transaction (:mod:`annotator.services.sessions`), so
  every browser they are signed in with is signed out at its next action. A lead changing
  their own password or role on the Users page keeps the session they did it in
  (``keep_session``).
* The project always keeps an active lead: the last one can be neither demoted nor
  deactivated (checked in the same transaction as the change).
* A lead acting on the Users page cannot demote or deactivate themselves (``acting``): another
  lead must, so a slip of the mouse never locks anyone out.
"""

from __future__ import annotations

from typing import Any

import sqlite_utils

from annotator.errors import UserError
from annotator.services.passwords import STRONG, Cost, check_new_password, hash_password
from annotator.services.sessions import token_hash
from annotator.store import users as user_store
from annotator.store.connection import write_transaction
from annotator.store.sessions import end_user_sessions

ROLES = user_store.ROLES
MAX_NAME_CHARS = 64


def check_user(name: str, role: str | None = None) -> None:
    if not isinstance(name, str) or not name.strip() or name != name.strip() or len(name) > MAX_NAME_CHARS:
        raise UserError(f"invalid user name {name!r}: 1-{MAX_NAME_CHARS} characters, no surrounding spaces")
    if role is not None and role not in ROLES:
        raise UserError(f"invalid role {role!r}: choose annotator or lead")


def add_user(db: sqlite_utils.Database, name: str, role: str, password: str, *, repeat: str | None = None,
             cost: Cost = STRONG) -> None:
    """Add an active user with a checked password (``repeat``: the second entry of a form)."""
    check_user(name, role)
    password_hash = hash_password(check_new_password(password, repeat), cost=cost)
    if not user_store.insert_user(db, name, role, password_hash):
        raise UserError(f"user {name!r} already exists")


def list_users(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """name, role, active, created_at of every user, by name."""
    return user_store.list_users(db)


def get_user(db: sqlite_utils.Database, name: str) -> dict[str, Any] | None:
    return user_store.get_user(db, name)


def change_user(
    db: sqlite_utils.Database,
    name: str,
    *,
    role: str | None = None,
    password: str | None = None,
    repeat: str | None = None,
    active: bool | None = None,
    acting: str | None = None,
    keep_session: str | None = None,
) -> str | None:
    """Change a user's role, password or status under the rules above; the new credential stamp
    (None when nothing was asked to change). ``acting``: the lead making the change, if any;
    ``keep_session``: the token of the session the change is made in, kept (under the new stamp)
    when ``acting`` changes themselves; every other session of the user ends."""
    check_user(name, role)
    password_hash = None if password is None else hash_password(check_new_password(password, repeat))
    with write_transaction(db) as conn:  # the rules and the change see the same users
        user = user_store.get_user(db, name)
        if user is None:
            raise UserError(f"no user {name!r}")
        demoted = role is not None and role != "lead"
        if acting is not None and acting == name and (demoted or active is False):
            raise UserError(f"you cannot {'demote' if demoted else 'deactivate'} yourself; ask another lead")
        if user["role"] == "lead" and user["active"] and (demoted or active is False) \
                and user_store.count_active_leads(db) <= 1:
            raise UserError(f"{name!r} is the last active lead: add or reactivate another lead first")
        stamp = user_store.update_user(db, name, role=role, password_hash=password_hash, active=active)
        if stamp is not None:
            kept = token_hash(keep_session) if keep_session and acting == name else None
            end_user_sessions(conn, name, keep=kept, stamp=stamp)
        return stamp


def remove_user(db: sqlite_utils.Database, name: str, *, acting: str | None = None) -> str | None:
    """Deactivate ``name`` (their labels keep naming them, so the row stays)."""
    return change_user(db, name, active=False, acting=acting)
