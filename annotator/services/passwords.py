"""Password hashing with scrypt (a slow, memory-hard KDF from the standard library).

Hashes are stored as ``scrypt$N$r$p$salt$digest``, so each carries its own cost:
a hash made with weaker parameters than :data:`STRONG` still verifies, and
:func:`needs_rehash` tells the sign-in to replace it with a strong one.

Cost: :data:`STRONG` is OWASP's scrypt recommendation (N=2^17, r=8, p=1): about
128 MiB and 0.4 s of one core per check. At most :data:`MAX_PARALLEL_CHECKS`
checks run at once in a process, so a burst of sign-ins queues instead of
taking the memory of the machine.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import threading
from dataclasses import dataclass

from annotator.errors import UserError

_PREFIX = "scrypt"
MIN_PASSWORD_LENGTH = 8
MAX_PARALLEL_CHECKS = 2


@dataclass(frozen=True)
class Cost:
    """scrypt's parameters: CPU/memory cost ``n`` (a power of two), block size ``r``, parallelism ``p``."""

    n: int
    r: int
    p: int

    @property
    def maxmem(self) -> int:
        """The memory OpenSSL needs for these parameters (its check: 128*r*(n+2) + 128*r*p), plus room."""
        return 128 * self.r * (self.n + 2) + 128 * self.r * self.p + (1 << 20)

    def at_least(self, other: Cost) -> bool:
        return self.n >= other.n and self.r >= other.r and self.p >= other.p


STRONG = Cost(n=2**17, r=8, p=1)
# For test fixtures only, passed explicitly (hash_password(..., cost=TEST_ONLY_COST)):
# a sign-in replaces such a hash with a STRONG one, as it does any older, weaker hash.
TEST_ONLY_COST = Cost(n=2**4, r=8, p=1)
_LIMIT = Cost(n=2**20, r=32, p=16)  # a stored hash asking for more is refused, not computed

_checks = threading.BoundedSemaphore(MAX_PARALLEL_CHECKS)


def check_new_password(password: str, repeat: str | None = None) -> str:
    """The rule for a new password (CLI and users page alike); UserError in one line if broken."""
    if repeat is not None and password != repeat:
        raise UserError("the two passwords differ")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return password


def _derive(password: str, salt: bytes, cost: Cost, dklen: int) -> bytes:
    with _checks:
        return hashlib.scrypt(
            password.encode("utf-8"), salt=salt, n=cost.n, r=cost.r, p=cost.p, maxmem=cost.maxmem, dklen=dklen
        )


def hash_password(password: str, *, cost: Cost = STRONG) -> str:
    """Return ``scrypt$N$r$p$salt$hash`` for storage; never store the password itself."""
    if not isinstance(password, str) or not password:
        raise ValueError("a password must be a non-empty text")
    salt = os.urandom(16)
    digest = _derive(password, salt, cost, 32)
    encode = lambda raw: base64.b64encode(raw).decode("ascii")  # noqa: E731
    return f"{_PREFIX}${cost.n}${cost.r}${cost.p}${encode(salt)}${encode(digest)}"


def _parse(stored: str) -> tuple[Cost, bytes, bytes]:
    """(cost, salt, digest) of a stored hash; ValueError when it is malformed or asks too much."""
    prefix, n, r, p, salt, digest = stored.split("$")
    cost = Cost(int(n), int(r), int(p))
    if prefix != _PREFIX or min(cost.n, cost.r, cost.p) < 1 or not _LIMIT.at_least(cost):
        raise ValueError("not a usable scrypt hash")
    return cost, base64.b64decode(salt, validate=True), base64.b64decode(digest, validate=True)


def verify_password(password: str, stored: str | None) -> bool:
    """Constant-time check of ``password`` against a stored hash; False for anything malformed."""
    if not stored or not isinstance(password, str):
        return False
    try:
        cost, salt, expected = _parse(stored)
        actual = _derive(password, salt, cost, len(expected))
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


def needs_rehash(stored: str | None) -> bool:
    """True when ``stored`` is weaker than :data:`STRONG` (or not a hash we can read)."""
    try:
        return not _parse(stored or "")[0].at_least(STRONG)
    except ValueError:
        return True
