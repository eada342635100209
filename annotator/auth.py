"""Sign-in and roles (a library: no Streamlit here).

* One message for every failed sign-in (unknown name, wrong password,
  deactivated user), and the same cost for each: a password is always checked
  against a scrypt hash, a dummy one when the name has none.
* Repeated failures lock the *name* (whether or not such a user exists) for a
  while that doubles with each further failure. The count lives in the project
  database, so it holds across browser sessions, processes and restarts.
* Roles are ordered: a lead may do everything an annotator may.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from annotator.errors import AuthError
from annotator.passwords import verify_password
from annotator.store import Project
from annotator.store.logins import clear_failures, get_login_state, record_failure
from annotator.store.users import ROLES, get_user

SIGN_IN_FAILED = "Wrong user name or password."

FREE_FAILURES = 4          # failures allowed before any wait
FIRST_LOCK_SECONDS = 5.0   # wait after the 5th failure; doubles with each further one
MAX_LOCK_SECONDS = 900.0   # never more than 15 minutes
FORGET_AFTER_SECONDS = 3600.0  # a name whose last failure is older starts from zero
MAX_NAME_LENGTH = 200      # longer names cannot be users; they are cut before being counted

# scrypt hash (same cost parameters as annotator.passwords) of a password nobody
# knows: checked when the name has no hash, so that case costs the same time.
_DUMMY_HASH = (
    "scrypt$16384$8$1$PimZ8FABlMnqoUPb4zGxdw==$4jnUtVJyAhchuS4g4BC6vCRZsHDcEd0Vt/dvjN6J5ao="
)


class SignInThrottled(AuthError):
    """Too many failed sign-ins for this name: no attempt is checked until ``retry_after``."""

    def __init__(self, seconds_left: float):
        self.seconds_left = seconds_left
        wait = max(1, math.ceil(seconds_left))
        super().__init__(f"Too many failed sign-ins for this name. Try again in {wait} s.")


@dataclass(frozen=True)
class User:
    """A signed-in user: what the app keeps in its session (never the password hash)."""

    name: str
    role: str

    @property
    def is_lead(self) -> bool:
        return self.role == "lead"


def lock_seconds(failures: int) -> float:
    """How long a name is locked after ``failures`` consecutive failures."""
    if failures <= FREE_FAILURES:
        return 0.0
    return min(MAX_LOCK_SECONDS, FIRST_LOCK_SECONDS * 2 ** (failures - FREE_FAILURES - 1))


def sign_in(project: Project, name: str, password: str, *, now: float | None = None) -> User:
    """Check ``name`` and ``password``; return the User or raise AuthError.

    Raises SignInThrottled (an AuthError) while the name is locked, without
    checking the password; AuthError(SIGN_IN_FAILED) for any other failure.
    """
    now = time.time() if now is None else now
    name = (name or "").strip()[:MAX_NAME_LENGTH]
    password = password if isinstance(password, str) else ""
    state = get_login_state(project.db, name)
    if state is not None and state["locked_until"] > now:
        raise SignInThrottled(state["locked_until"] - now)
    row = get_user(project.db, name) if name else None
    stored = row["password_hash"] if row and row["password_hash"] else None
    password_ok = verify_password(password, stored or _DUMMY_HASH) and stored is not None
    if row is None or not row["active"] or not password_ok:
        if name:
            record_failure(
                project.db, name, now, forget_after=FORGET_AFTER_SECONDS, lock_seconds=lock_seconds
            )
        raise AuthError(SIGN_IN_FAILED)
    if state is not None:
        clear_failures(project.db, name)
    return User(name=row["name"], role=row["role"])


def current_user(project: Project, name: str) -> User | None:
    """Re-read a signed-in user: None once they were removed or deactivated.

    Pages call this on every run so a role change or a deactivation takes
    effect at the next click, not at the next sign-in.
    """
    row = get_user(project.db, name)
    if row is None or not row["active"]:
        return None
    return User(name=row["name"], role=row["role"])


def has_role(user: User | None, role: str) -> bool:
    """True when ``user`` holds ``role`` or a higher one (lead > annotator)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    return user is not None and user.role in ROLES and ROLES.index(user.role) >= ROLES.index(role)


def require_role(user: User | None, role: str) -> User:
    """Return ``user`` when it holds ``role``; raise AuthError otherwise."""
    if user is None:
        raise AuthError("Sign in first.")
    if not has_role(user, role):
        raise AuthError(f"This needs the {role} role; {user.name} is {user.role}.")
    return user
