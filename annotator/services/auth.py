"""Sign-in, session validity and roles (a library: no Streamlit here).

* One message for every failed sign-in (unknown name, wrong password,
  deactivated user), and the same cost for each: a password is always checked
  against a scrypt hash, a dummy one when the name has none.
* Throttling, counted in the project database (so it holds across browser
  sessions, processes and restarts) on three records, each attempt reserved
  before its password is checked (annotator.store.logins):

  - per (name, client): after FREE_FAILURES failures the pair is locked for a
    while that doubles with each further failure, up to MAX_LOCK_SECONDS. A
    stranger's guesses lock the stranger's client, not the owner's.
  - per client, any name: CLIENT_FREE_FAILURES, then the same growing lock
    (one address trying many names).
  - per name, any client: NAME_FREE_FAILURES, then a short wait of at most
    NAME_MAX_WAIT_SECONDS (guesses from many addresses slow down; nobody is
    locked out). A client that signed in as this name before is spared.

* A signed-in user carries the credential stamp it signed in under; the user
  is valid only while they exist, are active, and the stored stamp is the
  same (a new password, a role change or a deactivation renews it).
* Roles are ordered: a lead may do everything an annotator may.
"""

from __future__ import annotations

import hmac
import math
import time
from dataclasses import dataclass, field

from annotator.errors import AuthError
from annotator.services.passwords import hash_password, needs_rehash, verify_password
from annotator.services.projects import Project
from annotator.store.logins import CLIENT, NAME, reserve_attempt, settle_success
from annotator.store.users import ROLES, get_user, upgrade_password_hash

SIGN_IN_FAILED = "Wrong user name or password."

FREE_FAILURES = 4          # failures of one name from one client before any wait
FIRST_LOCK_SECONDS = 5.0   # wait after the 5th failure; doubles with each further one
MAX_LOCK_SECONDS = 900.0   # never more than 15 minutes
CLIENT_FREE_FAILURES = 20  # failures from one client, any names, before it waits
NAME_FREE_FAILURES = 10    # failures of one name, any clients, before it is slowed
NAME_FIRST_WAIT_SECONDS = 1.0
NAME_MAX_WAIT_SECONDS = 10.0
FORGET_AFTER_SECONDS = 3600.0      # a record whose last attempt is older starts from zero
TRUST_CLIENT_SECONDS = 30 * 86_400  # after a sign-in, the name's ceiling spares that client this long
MAX_NAME_LENGTH = 200      # longer names cannot be users; they are cut before being counted
MAX_CLIENT_LENGTH = 100
LOCAL_CLIENT = "local"     # the client key when the app sees no address (a browser on this machine)

# scrypt hash (annotator.services.passwords.STRONG) of a password nobody knows: checked when
# the name has no hash, so that case costs the same time as a real check.
_DUMMY_HASH = (
    "scrypt$131072$8$1$kMyj2gxFHrEddWTAscRBgA==$LvCGu6Vx5KsTtolBwHl5QmX53pa7UocKnmwd5ujewzU="
)

_THROTTLE_MESSAGES = {
    "pair": "Too many failed sign-ins for this name. Try again in {wait} s.",
    CLIENT: "Too many failed sign-ins from this address. Try again in {wait} s.",
    NAME: "Many failed sign-ins for this name just now. Try again in {wait} s.",
}


class SignInThrottled(AuthError):
    """Too many failed sign-ins: no attempt is checked for ``seconds_left`` seconds."""

    def __init__(self, seconds_left: float, scope: str = "pair"):
        self.seconds_left = seconds_left
        self.scope = scope
        super().__init__(_THROTTLE_MESSAGES[scope].format(wait=max(1, math.ceil(seconds_left))))


@dataclass(frozen=True)
class User:
    """A signed-in user: what the app keeps in its session (never the password hash).

    ``stamp`` is the credential stamp the user signed in under (see
    annotator.store.users); it takes no part in comparisons.
    """

    name: str
    role: str
    stamp: str = field(default="", compare=False, repr=False)

    @property
    def is_lead(self) -> bool:
        return self.role == "lead"


def _doubling(failures: int, free: int, first: float, most: float) -> float:
    if failures <= free:
        return 0.0
    return min(most, first * 2 ** min(failures - free - 1, 64))


def lock_seconds(failures: int) -> float:
    """How long a (name, client) pair is locked after ``failures`` consecutive failures."""
    return _doubling(failures, FREE_FAILURES, FIRST_LOCK_SECONDS, MAX_LOCK_SECONDS)


def scope_lock_seconds(scope: str, failures: int) -> float:
    """The lock of each throttle record after ``failures`` failures."""
    if scope == CLIENT:
        return _doubling(failures, CLIENT_FREE_FAILURES, FIRST_LOCK_SECONDS, MAX_LOCK_SECONDS)
    if scope == NAME:
        return _doubling(failures, NAME_FREE_FAILURES, NAME_FIRST_WAIT_SECONDS, NAME_MAX_WAIT_SECONDS)
    return lock_seconds(failures)


def sign_in(
    project: Project, name: str, password: str, *, client: str | None = None, now: float | None = None
) -> User:
    """Check ``name`` and ``password`` from ``client`` (its address); return the User or raise AuthError.

    Raises SignInThrottled (an AuthError) while a throttle record bars the
    attempt, without checking the password; AuthError(SIGN_IN_FAILED) for any
    other failure. A correct password stored with a weaker cost than today's
    is re-hashed.
    """
    now = time.time() if now is None else now
    name = (name or "").strip()[:MAX_NAME_LENGTH]
    client = (client if isinstance(client, str) else "").strip()[:MAX_CLIENT_LENGTH] or LOCAL_CLIENT
    password = password if isinstance(password, str) else ""
    barred = reserve_attempt(
        project.db, name, client, now, forget_after=FORGET_AFTER_SECONDS, lock_seconds=scope_lock_seconds
    )
    if barred is not None:
        scope, seconds_left = barred
        raise SignInThrottled(seconds_left, scope)
    row = get_user(project.db, name) if name else None
    stored = row["password_hash"] if row and row["password_hash"] else None
    password_ok = verify_password(password, stored or _DUMMY_HASH) and stored is not None
    if row is None or not row["active"] or not password_ok:
        raise AuthError(SIGN_IN_FAILED)  # the reservation stays: it was a failure
    settle_success(
        project.db, name, client, now, trust_seconds=TRUST_CLIENT_SECONDS, lock_seconds=scope_lock_seconds
    )
    if needs_rehash(stored):
        upgrade_password_hash(project.db, name, stored, hash_password(password))
    return User(name=row["name"], role=row["role"], stamp=row["credential_stamp"])


def current_user(project: Project, name: str, stamp: str | None) -> User | None:
    """Re-read a signed-in user: None once they were removed or deactivated, or their
    credentials changed since ``stamp`` was issued (a new password, a new role).

    Pages call this on every run and every action, so such a change ends the
    session at the next click, not at the next sign-in.
    """
    row = get_user(project.db, name) if name else None
    if row is None or not row["active"] or not stamp or not hmac.compare_digest(row["credential_stamp"], stamp):
        return None
    return User(name=row["name"], role=row["role"], stamp=row["credential_stamp"])


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
