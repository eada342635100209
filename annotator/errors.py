"""Named errors. Every user-facing failure is a LabelloopError with a one-line message."""

from __future__ import annotations

import re

# Characters that would break a message over lines or cannot be written out:
# every Unicode line boundary, the other C0/C1 controls and lone surrogates.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def one_line(text: str) -> str:
    """``text`` with line breaks, control characters and lone surrogates escaped (``\\n``, ``\\x00``, ...)."""
    return _UNPRINTABLE.sub(lambda match: match.group().encode("unicode_escape", "backslashreplace").decode("ascii"),
                            text)


def shown(value: object, limit: int = 80) -> str:
    """``repr(value)`` on one line, cut to about ``limit`` characters (the length said) for error messages."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) > limit:
        return f"{text[:limit]!r}... ({len(text)} characters)"
    return repr(text) if isinstance(value, str) else text


class LabelloopError(Exception):
    """Base class: the CLI prints str(error) on one line and exits non-zero.

    A message is kept to one line whatever it quotes: a file name or a value
    holding a line break or a lone surrogate is escaped, never printed raw.
    """

    def __str__(self) -> str:
        return one_line(super().__str__())


class ProjectError(LabelloopError):
    """The project folder is missing, not a project, or inconsistent."""


class StoreError(LabelloopError):
    """The project database refused a write (disk full, read-only, locked); nothing was changed."""


class InputError(LabelloopError):
    """A file or value given by the user is invalid; nothing was changed."""


class LabelSetError(InputError):
    """A label is not in the project's label set, or the label set change is not allowed."""


class UserError(InputError):
    """A user name, role or password is invalid."""


class AuthError(LabelloopError):
    """Sign-in failed or the role does not allow the action."""
