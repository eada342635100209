"""An annotator's own recent labels: what the Label page's history panel lists.

Each entry is a text the annotator labeled, newest first, with the label they gave and the
one it replaced (``previous``) when they changed it. Opening one puts the text back on the
card (:func:`annotator.services.queue.open_item`) with the label's provenance; the new label
supersedes the old one (reason ``relabel``), and the history keeps both.
"""

from __future__ import annotations

from typing import Any

from annotator.services.label_sets import set_text
from annotator.services.projects import Project
from annotator.store.label_sets import members_of
from annotator.store.labels import recent_labels as _recent

HISTORY_SIZE = 20
SNIPPET_CHARS = 90


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    """The start of a text on one line, for a list."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def recent_labels(project: Project, annotator: str, *, limit: int = HISTORY_SIZE) -> list[dict[str, Any]]:
    """The annotator's last ``limit`` current labels, newest first: example_id, label, previous,
    suggestion (the model's, when it was on screen), created_at and a one-line ``snippet``; a
    multi-label set's ``label`` is its text (``joy + fear``)."""
    rows = _recent(project.db, annotator, limit=limit)
    sets = members_of(project.db, [row["id"] for row in rows if row["label"] is None])
    for row in rows:
        row["snippet"] = snippet(row.pop("text"))
        if row["id"] in sets:  # a multi-label project's set, shown as its text
            row["label"] = set_text(sets[row["id"]])
    return rows
