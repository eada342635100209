"""SQL of the Explore filters on a multi-label project, where a label is a member of a set
(``label_members``) and a prediction a JSON list of names (``scores.predicted``). Each function gives
the ids of the texts meeting one filter; :mod:`annotator.services.set_search` combines them with the
other filters (:func:`annotator.store.search.matching`). Portable SQL (LIKE ... ESCAPE, no JSON
functions); no rules here.
"""

from __future__ import annotations

import json

import sqlite_utils

from annotator.store.search import like_pattern

_VOTES = "('annotation', 'import')"


def holding_label(db: sqlite_utils.Database, name: str) -> set[int]:
    """Texts whose current set of anyone (an annotator's or a lead's adjudication) holds ``name``."""
    return {row[0] for row in db.execute(
        "SELECT DISTINCT l.example_id FROM labels l JOIN label_members m ON m.label_id = l.id "
        "WHERE l.superseded = 0 AND m.name = ?", (name,))}


def predicted_with(db: sqlite_utils.Database, version: int | None, name: str) -> set[int]:
    """Texts whose suggested set in ``version`` (a JSON list in ``scores.predicted``) holds ``name``:
    a LIKE on the quoted name narrows the rows, the JSON decides."""
    if version is None:
        return set()
    rows = db.execute("SELECT example_id, predicted FROM scores WHERE version = ? AND predicted LIKE ? ESCAPE '\\'",
                      (int(version), like_pattern(json.dumps(name))))
    found = set()
    for example_id, predicted in rows:
        try:
            names = json.loads(predicted) if predicted.startswith("[") else [predicted]
        except json.JSONDecodeError:
            continue
        if name in names:
            found.add(example_id)
    return found


def open_set_disagreements(db: sqlite_utils.Database) -> set[int]:
    """Texts where two annotators' current sets differ (one holds a label the other lacks) and no
    lead's adjudication is current: the Review page's open disagreements."""
    return {row[0] for row in db.execute(
        "SELECT DISTINCT a.example_id FROM labels a JOIN label_members m ON m.label_id = a.id "
        "JOIN labels b ON b.example_id = a.example_id AND b.id <> a.id "
        f"WHERE a.superseded = 0 AND b.superseded = 0 AND a.label IS NULL AND b.label IS NULL "
        f"AND a.kind IN {_VOTES} AND b.kind IN {_VOTES} "
        "AND NOT EXISTS (SELECT 1 FROM label_members o WHERE o.label_id = b.id AND o.name = m.name) "
        "AND NOT EXISTS (SELECT 1 FROM labels d WHERE d.example_id = a.example_id AND d.superseded = 0 "
        "                AND d.kind = 'adjudication')")}
