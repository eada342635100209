"""Reviewing a multi-label project: disagreements per label, late sets, suspected label errors.

A text is in disagreement when two or more annotators' current sets differ. The labels in some of
those sets but not all are its **disputed** labels (what the lead decides); the labels in every set
are **agreed**. The lead settles a text by choosing its whole set
(:func:`annotator.services.review.adjudicate` with a list of names): an ``adjudication`` label row whose
members are that set, which :mod:`annotator.services.label_set_finals` takes as the final set.

**Suspected label errors** (:func:`find_suspected_set_errors`): every final set is checked label by
label against an out-of-fold one-vs-rest head (:class:`learner.multi_label_head.MultiLabelHead` on the
cached embeddings, trained on the other folds): a label in the set that the head gives a probability
of at most ``1 - threshold``, or a label outside it that it gives at least ``threshold``, is
contradicted. Labels the training folds never show both present and absent say nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from annotator.services.labelset import get_labels
from annotator.store.project import Project
from annotator.store.set_disputes import current_sets_of, overlapped_set_examples

ADJUDICATION = "adjudication"
SET_SUSPECT_COLUMNS = ["index", "labels", "predicted", "contradicted", "confidence"]
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


def find_suspected_set_errors(embeddings: np.ndarray, sets: Sequence[Sequence[str]], classes: Sequence[str], *,
                              folds: int, threshold: float, seed: int = 0) -> pd.DataFrame:
    """Rows whose set an out-of-fold head contradicts on some label with probability >= ``threshold``
    (columns :data:`SET_SUSPECT_COLUMNS`: ``labels`` the given set, ``predicted`` the head's set,
    ``contradicted`` the labels it disputes, ``confidence`` its surest contradiction), surest first."""
    from sklearn.model_selection import KFold

    from learner.multi_label_head import MultiLabelHead

    X = np.asarray(embeddings, dtype=np.float32)
    classes = list(classes)
    Y = np.array([[name in set(given) for name in classes] for given in sets], dtype=bool).reshape(len(X), len(classes))
    proba = np.full(Y.shape, np.nan)
    predicted = np.zeros(Y.shape, dtype=bool)
    for train, test in KFold(n_splits=folds, shuffle=True, random_state=seed).split(X):
        head = MultiLabelHead(classes=classes, random_state=seed).fit(X[train], Y[train].astype(np.int8))
        fold_proba = head.predict_proba(X[test])
        informative = Y[train].any(axis=0) & ~Y[train].all(axis=0)
        proba[np.ix_(test, np.flatnonzero(informative))] = fold_proba[:, informative]
        predicted[test] = head.decide(fold_proba).astype(bool)
    against = np.where(Y, 1.0 - proba, proba)  # how sure the head is that the given answer is wrong
    found = []
    for row in range(len(Y)):
        disputed = [j for j in range(len(classes)) if against[row, j] >= threshold]
        if disputed:
            found.append({"index": row, "labels": [classes[j] for j in np.flatnonzero(Y[row])],
                          "predicted": [classes[j] for j in np.flatnonzero(predicted[row])],
                          "contradicted": [classes[j] for j in disputed],
                          "confidence": float(max(against[row, j] for j in disputed))})
    frame = pd.DataFrame(found, columns=SET_SUSPECT_COLUMNS)
    return frame.sort_values(["confidence", "index"], ascending=[False, True], ignore_index=True)
