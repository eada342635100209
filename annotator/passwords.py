"""Password hashing with scrypt (a slow, memory-hard KDF from the standard library)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from annotator.errors import UserError

_N, _R, _P = 2**14, 8, 1
_PREFIX = "scrypt"
MIN_PASSWORD_LENGTH = 8


def check_new_password(password: str, repeat: str | None = None) -> str:
    """The rule for a new password (CLI and users page alike); UserError in one line if broken."""
    if repeat is not None and password != repeat:
        raise UserError("the two passwords differ")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return password


def hash_password(password: str) -> str:
    """Return ``scrypt$N$r$p$salt$hash`` for storage; never store the password itself."""
    if not isinstance(password, str) or not password:
        raise ValueError("a password must be a non-empty text")
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    encode = lambda raw: base64.b64encode(raw).decode("ascii")  # noqa: E731
    return f"{_PREFIX}${_N}${_R}${_P}${encode(salt)}${encode(digest)}"


def verify_password(password: str, stored: str | None) -> bool:
    """Constant-time check of ``password`` against a stored hash; False for anything malformed."""
    if not stored or not isinstance(password, str):
        return False
    try:
        prefix, n, r, p, salt, digest = stored.split("$")
        if prefix != _PREFIX:
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode("utf-8"), salt=base64.b64decode(salt),
            n=int(n), r=int(r), p=int(p), dklen=len(expected),
        )
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)
