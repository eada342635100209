"""Flags and comments: an annotator tells the lead about a text; the lead settles it on the Review page.

* A **flag** says the text cannot be labeled as it is: broken (cut off, garbled, not a
  text), ambiguous (more than one label fits, or none), offensive, or other (then a note is
  needed). Flagging gives back the annotator's lease, and the text leaves the queue for
  everyone until a lead returns it (:func:`settle_flag`, ``return``) or keeps it out for good
  (``exclude``; :func:`return_text` undoes that). Its labels, if any, stay.
* A **comment** is a note to the lead about a text (the text stays on the annotator's card
  and in the queue); a lead marks it read.

Both are exported: as their own rows in the raw export and as the ``flags`` and ``comments``
columns of the final export (:mod:`annotator.services.exports`).
"""

from __future__ import annotations

import time
from typing import Any

from annotator.errors import AuthError, InputError
from annotator.services.projects import Project
from annotator.store import notes
from annotator.store.connection import read_snapshot
from annotator.store.leases import example_exists
from annotator.store.users import get_user

FLAG_REASONS: dict[str, str] = {
    "broken": "broken: cut off, garbled or not a text",
    "ambiguous": "ambiguous: more than one label fits, or none",
    "offensive": "offensive",
    "other": "other (say what in the note)",
}
MAX_NOTE_CHARS = 2_000
SETTLE_ACTIONS = {"return": "returned", "exclude": "excluded"}


def _clean(text: str | None, what: str, *, required: bool) -> str | None:
    if not isinstance(text, str | None):
        raise InputError(f"the {what} must be a text")
    text = (text or "").strip()
    if required and not text:
        raise InputError(f"write the {what} first")
    if len(text) > MAX_NOTE_CHARS:
        raise InputError(f"the {what} is {len(text):,} characters long; keep it under {MAX_NOTE_CHARS:,}")
    if "\x00" in text:
        raise InputError(f"the {what} holds a NUL character")
    return text or None


def _existing(project: Project, example_id: int) -> int:
    try:
        example_id = int(example_id)
    except (TypeError, ValueError):
        raise InputError(f"no text with id {example_id!r}") from None
    with read_snapshot(project.db) as conn:
        if not example_exists(conn, example_id):
            raise InputError(f"no text with id {example_id}")
    return example_id


def flag_text(project: Project, annotator: str, example_id: int, reason: str, note: str | None = None, *,
              now: float | None = None) -> int:
    """Flag a text (it leaves the queue until a lead returns it); the flag's id."""
    if reason not in FLAG_REASONS:
        raise InputError(f"unknown flag reason {reason!r}: choose {', '.join(FLAG_REASONS)}")
    note = _clean(note, "note", required=reason == "other")
    example_id = _existing(project, example_id)
    return notes.add_flag(project.db, example_id, annotator, reason, note, time.time() if now is None else now)


def add_comment(project: Project, author: str, example_id: int, body: str, *, now: float | None = None) -> int:
    """A comment to the lead about a text; the comment's id."""
    body = _clean(body, "comment", required=True)
    example_id = _existing(project, example_id)
    return notes.add_comment(project.db, example_id, author, body, time.time() if now is None else now)


def _lead(project: Project, name: str) -> str:
    user = get_user(project.db, name)
    if user is None or not user["active"] or user["role"] != "lead":
        raise AuthError(f"{name!r} is not an active lead: only a lead can settle flags and comments")
    return name


def settle_flag(project: Project, lead: str, example_id: int, action: str, *, now: float | None = None) -> int:
    """The lead's decision on a flagged text: ``return`` it to the queue or ``exclude`` it for good."""
    if action not in SETTLE_ACTIONS:
        raise InputError(f"unknown decision {action!r}: choose {', '.join(SETTLE_ACTIONS)}")
    settled = notes.set_flag_status(project.db, int(example_id), "open", SETTLE_ACTIONS[action],
                                    _lead(project, lead), time.time() if now is None else now)
    if not settled:
        raise InputError(f"text {example_id} has no open flag (another lead may have settled it)")
    return settled


def return_text(project: Project, lead: str, example_id: int, *, now: float | None = None) -> int:
    """A text a lead kept out of the queue goes back into it."""
    returned = notes.set_flag_status(project.db, int(example_id), "excluded", "returned", _lead(project, lead),
                                     time.time() if now is None else now)
    if not returned:
        raise InputError(f"text {example_id} is not kept out of the queue")
    return returned


def mark_read(project: Project, lead: str, comment_id: int, *, now: float | None = None) -> bool:
    return notes.mark_comment_read(project.db, int(comment_id), _lead(project, lead),
                                   time.time() if now is None else now)


def flagged(project: Project, status: str = "open", *, limit: int = 200) -> list[dict[str, Any]]:
    """Texts with open flags (or kept out: ``excluded``), oldest first, each with its flags."""
    return notes.flagged_texts(project.db, status, limit=limit)


def unread_comments(project: Project, *, limit: int = 200) -> list[dict[str, Any]]:
    return notes.unread_comments(project.db, limit=limit)


def counts(project: Project) -> dict[str, int]:
    """``flagged`` (texts with an open flag), ``excluded`` (texts kept out), ``unread_comments``."""
    return notes.note_counts(project.db)


def flag_text_line(flag: dict[str, Any]) -> str:
    """One flag as the final export and the Review page show it: ``ambiguous (ann1): the note``."""
    return f"{flag['reason']} ({flag['annotator']})" + (f": {flag['note']}" if flag.get("note") else "")


def comment_line(comment: dict[str, Any]) -> str:
    return f"{comment['author']}: {comment['body']}"
