"""The final set of labels of a multi-label text, from its current label sets.

1. the latest current lead adjudication's set, if any;
2. otherwise the per-label majority: a label is in the final set when more than half of the
   annotators' sets hold it. A label held by exactly half of them (two annotators who differ on
   it) is left out and reported in ``tie``, so the lead sees where a decision is needed.

``agreement``: the fraction of the annotators' sets equal to the final set (1.0 for one annotator).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

ADJUDICATION = "adjudication"

FINAL_SET_COLUMNS = (
    "example_id", "ext_id", "text", "labels", "tie", "annotators", "n_labels", "agreement",
    "adjudicated_by", "model_version", "is_eval", "flags", "comments",
)
EMPTY_SET_CELL = "[]"
SET_LIST_COLUMNS = ("labels", "tie", "annotators", "flags", "comments")


def decide_set(rows: list[dict[str, Any]], members: dict[int, list[str]],
               order: dict[str, int]) -> tuple[list[str], list[str], str | None]:
    """``(final set, tied labels, the adjudicating lead or None)`` of one text's current label rows
    (``label_id``, ``kind``, ``annotator``, ``created_at``), names in label-set order."""
    votes = [row for row in rows if row["kind"] != ADJUDICATION]
    adjudications = [row for row in rows if row["kind"] == ADJUDICATION]
    by_order = lambda names: sorted(names, key=lambda n: order.get(n, len(order)))  # noqa: E731
    if adjudications:
        decision = max(adjudications, key=lambda row: (row["created_at"], row["label_id"]))
        return by_order(members[decision["label_id"]]), [], decision["annotator"]
    counts = Counter(name for row in votes for name in members[row["label_id"]])
    return (by_order(name for name, n in counts.items() if 2 * n > len(votes)),
            by_order(name for name, n in counts.items() if 2 * n == len(votes)), None)


def resolved_sets(rows: list[dict[str, Any]], labels: list[str]) -> list[tuple[int, list[str]]]:
    """``(example_id, final set)`` of every text among current multi-label rows (``id``,
    ``example_id``, ``annotator``, ``kind``, ``created_at``, ``names``: :func:`annotator.store.label_sets.
    current_label_sets`), by example id: what a model trains and is scored on."""
    order = {name: position for position, name in enumerate(labels)}
    by_example: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        by_example.setdefault(row["example_id"], []).append({**row, "label_id": row["id"]})
    members = {row["id"]: row["names"] for row in rows}
    return [(example_id, decide_set(group, members, order)[0]) for example_id, group in sorted(by_example.items())]


def final_set_row(rows: list[dict[str, Any]], members: dict[int, list[str]], order: dict[str, int]) -> dict[str, Any]:
    """One text's export row from its current label rows (``label_id`` keys into ``members``)."""
    first = rows[0]
    votes = [row for row in rows if row["kind"] != ADJUDICATION]
    final, tie, adjudicated_by = decide_set(rows, members, order)
    served = [row for row in rows if row["model_version"] is not None]
    latest_served = max(served, key=lambda row: (row["created_at"], row["label_id"])) if served else None
    agreeing = sum(set(members[row["label_id"]]) == set(final) for row in votes)
    return {
        "example_id": first["example_id"],
        "ext_id": first["ext_id"],
        "text": first["text"],
        "labels": final,
        "tie": tie or None,
        "annotators": sorted({row["annotator"] for row in votes}),
        "n_labels": len(votes),
        "agreement": round(agreeing / len(votes), 4) if votes else None,
        "adjudicated_by": adjudicated_by,
        "model_version": latest_served["model_version"] if latest_served else None,
        "is_eval": bool(first["is_eval"]),
    }


def joined_labels(rows: list[dict[str, Any]], separator: str, labelset: list[str]) -> list[dict[str, Any]]:
    """The rows with ``labels`` (and ``tie``) as one text of names joined by ``separator`` (for CSV; the
    empty set is ``[]``, which imports back as the empty set, an empty cell being no label); a ValueError
    when a label name holds the separator (the column could not be read back)."""
    clash = [name for name in labelset if separator in name]
    if not separator or clash:
        raise ValueError(f"the label separator {separator!r} occurs in the label {clash[0]!r}" if clash
                         else "the label separator is empty")
    out = []
    for row in rows:
        joined = dict(row)
        joined["labels"] = separator.join(row["labels"]) if row["labels"] else EMPTY_SET_CELL
        joined["tie"] = separator.join(row["tie"]) if row["tie"] else None
        out.append(joined)
    return out
