"""Keyboard shortcuts of the labeling page (pure functions, no Streamlit).

Labels get the digits 1-9 in label-set order, then letters. Streamlit reserves
``c`` and ``r`` (clear cache, rerun) and the page's own actions use ``s`` (skip),
``u`` (undo), ``f`` (flag), ``n`` (note to the lead: a comment), ``h`` (history)
and Enter (accept the model's suggestion; in a multi-label project, submit the
chosen labels) and ``0`` (none of these, in a multi-label project), so those keys
are never given to a label. Labels beyond the available keys are reached through the filter box.
"""

from __future__ import annotations

import re

SKIP_KEY = "s"
UNDO_KEY = "u"
FLAG_KEY = "f"
COMMENT_KEY = "n"
HISTORY_KEY = "h"
ACCEPT_KEY = "Enter"  # Streamlit's name for the key; the browser's event.key is "Enter" too
NONE_OF_THESE_KEY = "0"  # multi-label projects whose lead allows it: submit the empty set
RESERVED_BY_STREAMLIT = frozenset("cr")
ACTION_KEYS = frozenset({SKIP_KEY, UNDO_KEY, FLAG_KEY, COMMENT_KEY, HISTORY_KEY})
LABEL_KEYS: tuple[str, ...] = tuple("123456789") + tuple(
    letter for letter in "abcdefghijklmnopqrstuvwxyz" if letter not in RESERVED_BY_STREAMLIT | ACTION_KEYS
)
MANY_LABELS = 12  # above this many labels the page adds a filter box

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$])")


def assign_keys(labels: list[str]) -> list[str | None]:
    """One key per label in order; None for labels past the last key."""
    return [LABEL_KEYS[i] if i < len(LABEL_KEYS) else None for i in range(len(labels))]


def escape_markdown(text: str) -> str:
    """Backslash-escape markdown so a label name shows as typed on a button or caption."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", text)
