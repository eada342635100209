"""Small helpers of the labeling page that need no Streamlit: captions and timing."""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import MutableMapping
from typing import Any

from annotator.app.keys import escape_markdown

SHOWN_KEY = "ll_shown"

# Characters that change how the rest of a text is displayed, or display as nothing: bidirectional
# overrides and isolates (U+202E turns "txt.exe" into "exe.txt" on screen), zero-width characters,
# and C0/C1 controls other than line breaks and tabs.
_HIDDEN = re.compile(
    "[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200b-\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)


def visible_text(text: str) -> str:
    """The text as the annotator must see it: every invisible or direction-changing character
    shown as a visible marker such as ``⟦U+202E RIGHT-TO-LEFT OVERRIDE⟧``, nothing else changed."""

    def marker(match: re.Match) -> str:
        char = match.group(0)
        name = unicodedata.name(char, "")
        return f"⟦U+{ord(char):04X}{' ' + name if name else ''}⟧"

    return _HIDDEN.sub(marker, text)


def remember_item(state: MutableMapping[str, Any], example_id: int, shown_at: float) -> None:
    """Note when ``example_id`` was put on screen (session state survives reruns)."""
    state[SHOWN_KEY] = (example_id, shown_at)


def seconds_on_item(state: MutableMapping[str, Any], example_id: int, now: float | None = None) -> float | None:
    """Seconds from showing ``example_id`` to now; None if another item was shown last."""
    shown = state.get(SHOWN_KEY)
    if not shown or shown[0] != example_id:
        return None
    now = time.time() if now is None else now
    return round(max(0.0, now - shown[1]), 3)


def provenance_caption(item: Any) -> str:
    """Which ranking chose the text, e.g. ``Chosen by model v3 · margin · rank 12``."""
    if item.is_eval:
        why = "Evaluation text (measures the model; never trained on)"
    elif item.model_version is None:
        why = "Unranked text"
    else:
        why = f"Chosen by model v{item.model_version} · {escape_markdown(item.strategy or '?')}"
        if item.rank is not None:
            why += f" · rank {item.rank + 1:,}"
    if item.overlap:
        why += " · also labeled by others (blind)"
    return why


def suggestion_caption(item: Any) -> str:
    if item.predicted is None:
        return "Model suggestion: none yet"
    confidence = f" ({item.confidence:.0%})" if item.confidence is not None else ""
    return f"Model suggestion: **{escape_markdown(item.predicted)}**{confidence}"


def format_ago(timestamp: float | None, now: float | None = None) -> str:
    if timestamp is None:
        return "never"
    seconds = max(0, int((time.time() if now is None else now) - timestamp))
    if seconds < 60:
        return f"{seconds} s ago"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86_400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86_400} d ago"


CONTEXT_VALUE_CHARS = 200


def context_caption(meta: dict[str, Any], columns: list[str]) -> str:
    """The chosen context columns of a text, e.g. ``author: Maria · product: Router X``, as text
    (markdown escaped, each value on one line and cut to 200 characters); "" when none is set."""
    parts = []
    for column in columns:
        value = meta.get(column)
        if value is None or value == "":
            continue
        shown = " ".join(str(value).split())
        if len(shown) > CONTEXT_VALUE_CHARS:
            shown = shown[: CONTEXT_VALUE_CHARS - 1] + "…"
        parts.append(f"{escape_markdown(column)}: {escape_markdown(visible_text(shown))}")
    return " · ".join(parts)
