"""Reviewing a multi-label project: disagreements per label, and late sets.

A text is in disagreement when two or more annotators' current sets differ. The labels in some of
those sets but not all are its **disputed** labels (what the lead decides); the labels in every set
are **agreed**. The lead settles a text by choosing its whole set
(:func:`annotator.services.review.adjudicate` with a list of names): an ``adjudication`` label row whose
members are that set, which :mod:`annotator.services.label_set_finals` takes as the final set.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from annotator.services.labelset import get_labels
from annotator.store.project import Project
from annotator.store.set_disputes import current_sets_of, overlapped_set_examples

ADJUDICATION = "adjudication"
SET_DISAGREEMENT_COLUMNS = ["example_id", "text", "votes", "disputed", "agreed", "adjudicated", "is_eval", "last_at"]


def disputed_labels(sets: list[list[str]], labels: list[str]) -> tuple[list[str], list[str]]:
    """``(disputed, agreed)``: the labels in some but not all of ``sets``, and those in all of them,
    in label-set order."""
    held = [set(names) for names in sets]
    union = set().union(*held) if held else set()
    common = set.intersection(*held) if held else set()
    return [name for name in labels if name in union - common], [name for name in labels if name in common]


def set_disagreements(project: Project, *, include_adjudicated: bool = False) -> pd.DataFrame:
    """The texts whose annotators' sets differ (columns :data:`SET_DISAGREEMENT_COLUMNS`; ``votes``:
    annotator -> set, ``adjudicated``: the lead's current set or None); without ``include_adjudicated``
    only those no lead has settled, oldest last change first."""
    labels = get_labels(project.db)
    by_text: dict[int, list[dict[str, Any]]] = {}
    for row in current_sets_of(project.db, overlapped_set_examples(project.db)):
        by_text.setdefault(row["example_id"], []).append(row)
    found = []
    for example_id, rows in by_text.items():
        votes = {row["annotator"]: row["names"] for row in rows if row["kind"] != ADJUDICATION}
        if len({frozenset(names) for names in votes.values()}) < 2:
            continue
        decisions = [row for row in rows if row["kind"] == ADJUDICATION]
        adjudicated = max(decisions, key=lambda row: (row["created_at"], row["id"]))["names"] if decisions else None
        if adjudicated is not None and not include_adjudicated:
            continue
        disputed, agreed = disputed_labels(list(votes.values()), labels)
        found.append({
            "example_id": example_id, "text": rows[0]["text"], "votes": votes, "disputed": disputed,
            "agreed": agreed, "adjudicated": adjudicated, "is_eval": bool(rows[0]["is_eval"]),
            "last_at": max(row["created_at"] for row in rows if row["kind"] != ADJUDICATION),
        })
    found.sort(key=lambda row: (row["last_at"], row["example_id"]))
    return pd.DataFrame(found, columns=SET_DISAGREEMENT_COLUMNS)


def with_sets(project: Project, late: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Late label rows (:func:`annotator.store.labels.late_labels`) of a multi-label project with their
    sets: ``labels`` (the late set) and ``others`` (every other current set of the text: annotator or
    lead -> set)."""
    by_text: dict[int, list[dict[str, Any]]] = {}
    for row in current_sets_of(project.db, (row["example_id"] for row in late)):
        by_text.setdefault(row["example_id"], []).append(row)
    out = []
    for row in late:
        current = by_text.get(row["example_id"], [])
        mine = next((item["names"] for item in current if item["id"] == row["id"]), [])
        others = {item["annotator"]: item["names"] for item in current if item["id"] != row["id"]}
        out.append({**row, "labels": mine, "others": others})
    return out
