"""Search and Explore on a multi-label project: what the label filters mean for sets, and a result's
sets.

* ``label``: texts whose current set of anyone (an annotator's, or the lead's adjudication) holds the
  label; ``predicted``: texts whose suggested set in the current version holds it; ``disagreement``:
  annotators' sets differ and no lead has settled the text (as on the Review page).
* A result's ``label`` is its final set as exports give it (the lead's adjudication, else the
  per-label majority: :func:`annotator.services.label_set_finals.decide_set`), shown as
  ``joy + love``; every annotator's set and the suggested set likewise.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlite_utils

from annotator.services.label_set_finals import decide_set
from annotator.services.label_sets import set_text, suggested_set
from annotator.store.label_sets import members_of
from annotator.store.set_disputes import current_sets_of
from annotator.store.set_search import holding_label, open_set_disagreements, predicted_with

SET_FILTERS = ("label", "predicted", "disagreement")


def split_set_filters(db: sqlite_utils.Database, version: int | None, filters: dict[str, Any]
                      ) -> tuple[dict[str, Any], Callable[[int], bool] | None]:
    """``(the filters`` :func:`annotator.store.search.matching` ``applies, a test of an example id for
    the set filters)``; the test is None when no set filter is given."""
    rest = dict(filters)
    given = {name: rest.pop(name, None) for name in SET_FILTERS}
    rest.update(dict.fromkeys(SET_FILTERS))
    if all(value is None for value in given.values()):
        return rest, None
    keep: set[int] | None = None
    for name, finder in (("label", lambda value: holding_label(db, value)),
                         ("predicted", lambda value: predicted_with(db, version, value))):
        if given[name] is not None:
            found = finder(given[name])
            keep = found if keep is None else keep & found
    disputed = open_set_disagreements(db) if given["disagreement"] is not None else set()
    if given["disagreement"]:
        keep = disputed if keep is None else keep & disputed
    drop = disputed if given["disagreement"] is False else set()
    return rest, (lambda example_id: (keep is None or example_id in keep) and example_id not in drop)


def set_result_fields(db: sqlite_utils.Database, rows: list[dict[str, Any]], labels: list[str]
                      ) -> dict[int, dict[str, Any]]:
    """Per result row (:func:`annotator.store.search.result_rows`): ``label`` (the final set's text, None
    when unlabeled), ``labels`` (annotator -> set text), ``predicted`` (the suggested set's text),
    ``disagreement``, ``final_set`` and ``predicted_set`` (lists)."""
    members = members_of(db, (item["id"] for row in rows for item in row["labels"]))
    order = {name: position for position, name in enumerate(labels)}
    out = {}
    for row in rows:
        items = [{**item, "label_id": item["id"]} for item in row["labels"]]
        final = decide_set(items, members, order)[0] if items else None
        votes = {frozenset(members[item["id"]]) for item in items if item["kind"] != "adjudication"}
        adjudicated = any(item["kind"] == "adjudication" for item in items)
        predicted = suggested_set(row["predicted"], labels)
        out[row["id"]] = {
            "label": None if final is None else set_text(final),
            "labels": {item["annotator"]: set_text(members[item["id"]]) for item in items},
            "predicted": None if predicted is None else set_text(predicted),
            "disagreement": len(votes) >= 2 and not adjudicated,
            "final_set": final, "predicted_set": predicted,
        }
    return out


def set_point_facts(db: sqlite_utils.Database, facts: dict[int, tuple], labels: list[str]) -> dict[int, tuple]:
    """Map points' ``(label, prediction, confidence)`` (:func:`annotator.store.search.point_facts`) of a
    multi-label project: the final set's text and the suggested set's text."""
    rows: dict[int, list[dict[str, Any]]] = {}
    for row in current_sets_of(db, facts):
        rows.setdefault(row["example_id"], []).append({**row, "label_id": row["id"]})
    members = {row["id"]: row["names"] for group in rows.values() for row in group}
    order = {name: position for position, name in enumerate(labels)}
    out = {}
    for example_id, (_, predicted, confidence) in facts.items():
        group = rows.get(example_id)
        final = set_text(decide_set(group, members, order)[0]) if group else None
        suggested = suggested_set(predicted, labels)
        out[example_id] = (final, None if suggested is None else set_text(suggested), confidence)
    return out
