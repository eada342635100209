"""Labeling what a search found: lease one chosen text, save its label with the search as provenance,
and a lead's bulk label over a selection.

:func:`lease_item` leases a named text through the queue's own rule for it
(:func:`annotator.services.queue.open_item`, the same lease as the Label page's, so
:func:`annotator.services.queue.save_label`, its late-label rule and the text-length limit apply
unchanged) with provenance: the current model version, strategy ``search`` and the text's score.

Every label given here is recorded with strategy ``search`` and the search that found the text
(``labels.search_query``, JSON), so exports and learning curves can tell these labels apart from
those the queue served.

A bulk label (:func:`bulk_label`) is a lead's own label on each selected text, in one
transaction: it never supersedes or edits anyone else's label. Where another annotator's current
label differs, the text is in disagreement and goes to the Review page like any other; the lead
settles it there (an adjudication), never here silently. :func:`plan_bulk` counts what a bulk
label would change, for the confirmation. A multi-label project's texts take a set each
(:func:`save_search_label_set`); there a bulk label *adds* the label to the lead's own set of each
text (a text without one gets the set of that label alone), and a text conflicts when another
annotator's set differs from the lead's new one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from annotator.errors import AuthError, InputError, LabelSetError, shown
from annotator.services import queue
from annotator.services.label_mode import is_multi_label
from annotator.services.labelset import get_labels
from annotator.services.settings import get_settings
from annotator.store import search as store
from annotator.store.connection import read_snapshot, write_transaction
from annotator.store.label_sets import add_label_set
from annotator.store.labels import add_label
from annotator.store.project import Project
from annotator.store.set_disputes import current_sets_of
from annotator.store.users import get_user
from annotator.store.versions import current_version, example_score

SEARCH_STRATEGY = "search"
MAX_BULK = 5_000


def lease_item(project: Project, annotator: str, example_id: int, *, now: float | None = None) -> queue.ServedItem:
    """Lease the text ``example_id`` to ``annotator`` with strategy ``search`` and return it as the Label
    page shows a served text: :func:`annotator.services.queue.open_item`, the queue's one rule for
    opening a named text (InputError when there is no such text, someone else holds it, it is
    labeled enough already, or flagged)."""
    return queue.open_item(project, annotator, int(example_id), strategy=SEARCH_STRATEGY, now=now)


def release(project: Project, annotator: str, example_id: int) -> bool:
    """Give back the lease of a text opened from a search (its card closed unlabeled)."""
    return queue.release(project, annotator, int(example_id))


def save_search_label(project: Project, annotator: str, example_id: int, label: str, found_by: dict[str, Any], *,
                      seconds: float | None = None) -> int:
    """Save ``annotator``'s label of a text opened from a search (the queue's save, its rules and
    lease) with strategy ``search`` and ``found_by`` (the search, :meth:`Search.describe`); the row id."""
    with write_transaction(project.db) as conn:
        label_id = queue.save_label(project, annotator, int(example_id), label, seconds=seconds)
        store.mark_search_label(conn, label_id, found_by)
    return label_id


def save_search_label_set(project: Project, annotator: str, example_id: int, labels: list[str],
                          found_by: dict[str, Any], *, seconds: float | None = None) -> int:
    """:func:`save_search_label` for a multi-label project: the annotator's set of the text
    (:func:`annotator.services.queue.save_label_set`, its rules and lease); the row id."""
    with write_transaction(project.db) as conn:
        label_id = queue.save_label_set(project, annotator, int(example_id), list(labels), seconds=seconds)
        store.mark_search_label(conn, label_id, found_by)
    return label_id


@dataclass(frozen=True)
class BulkPlan:
    """What a bulk label would do: ``change`` texts get the lead's label (``new`` of them had none of
    the lead's, ``relabel`` had another), ``unchanged`` already carry it, ``conflicts`` hold another
    annotator's different label (they go to Review), ``too_long`` cannot be labeled (max_text_chars)."""

    label: str
    change: list[int]
    new: int
    relabel: int
    unchanged: int
    conflicts: list[int]
    too_long: list[int]
    missing: list[int]


def _require_lead(project: Project, lead: str) -> None:
    user = get_user(project.db, lead)
    if user is None or not user["active"] or user["role"] != "lead":
        raise AuthError(f"{lead!r} is not an active lead: only a lead can label a selection in bulk")


def _current(conn, project: Project, ids: list[int]) -> dict[int, dict[str, Any]]:
    """example id -> {annotator: their current label (a frozenset of names in a multi-label project)}."""
    if not is_multi_label(project.db):
        return store.current_labels_of(conn, ids)
    found: dict[int, dict[str, Any]] = {example_id: {} for example_id in ids}
    for row in current_sets_of(conn, ids):
        found[row["example_id"]][row["annotator"]] = frozenset(row["names"])
    return found


def _target(mine: Any, label: str, *, multi: bool) -> Any:
    """The lead's label of a text after a bulk label: ``label``, or their set with ``label`` added."""
    return (mine or frozenset()) | {label} if multi else label


def _plan(conn, project: Project, lead: str, ids: list[int], label: str) -> BulkPlan:
    limit = get_settings(project.db).max_text_chars
    lengths = store.text_lengths(conn, ids)
    current = _current(conn, project, [i for i in ids if i in lengths])
    change, conflicts, too_long, missing = [], [], [], []
    new = relabel = unchanged = 0
    for example_id in ids:
        if example_id not in lengths:
            missing.append(example_id)
            continue
        if lengths[example_id] > limit:
            too_long.append(example_id)
            continue
        labels = current[example_id]
        mine = labels.get(lead)
        target = _target(mine, label, multi=is_multi_label(project.db))
        if mine == target:
            unchanged += 1
            continue
        change.append(example_id)
        new += mine is None
        relabel += mine is not None
        if any(other != target for name, other in labels.items() if name != lead):
            conflicts.append(example_id)
    return BulkPlan(label, change, new, relabel, unchanged, conflicts, too_long, missing)


def _check_bulk(project: Project, lead: str, example_ids: list[int], label: str) -> list[int]:
    _require_lead(project, lead)
    if label not in get_labels(project.db):
        raise LabelSetError(f"label {shown(label)} is not in the label set")
    ids = list(dict.fromkeys(int(i) for i in example_ids))
    if not ids:
        raise InputError("nothing selected")
    if len(ids) > MAX_BULK:
        raise InputError(f"{len(ids):,} texts selected; a bulk label takes at most {MAX_BULK:,} at once")
    return ids


def plan_bulk(project: Project, lead: str, example_ids: list[int], label: str) -> BulkPlan:
    """Count what :func:`bulk_label` would do, changing nothing (the confirmation shows it)."""
    ids = _check_bulk(project, lead, example_ids, label)
    with read_snapshot(project.db) as conn:
        return _plan(conn, project, lead, ids, label)


def bulk_label(project: Project, lead: str, example_ids: list[int], label: str, found_by: dict[str, Any]) -> BulkPlan:
    """Give ``label`` as ``lead``'s own label to every selected text (in a multi-label project: add it to
    the lead's own set), in one transaction, with strategy ``search`` and ``found_by`` (the search);
    other annotators' labels stay as they are.
    Returns what was done (the plan, re-made inside the transaction)."""
    ids = _check_bulk(project, lead, example_ids, label)
    with write_transaction(project.db) as conn:
        plan = _plan(conn, project, lead, ids, label)
        version = current_version(project.db)
        number = version["version"] if version else None
        multi = is_multi_label(project.db)
        mine = _current(conn, project, plan.change) if multi else {}
        order = get_labels(project.db)
        for example_id in plan.change:
            scored = example_score(project.db, number, example_id) if number is not None else None
            provenance = {"model_version": number, "strategy": SEARCH_STRATEGY,
                          "score": scored["score"] if scored else None}
            if multi:
                target = _target(mine[example_id].get(lead), label, multi=True)
                label_id = add_label_set(project.db, example_id, [name for name in order if name in target], lead,
                                         **provenance)
            else:
                label_id = add_label(project.db, example_id, label, lead, **provenance)
            store.mark_search_label(conn, label_id, found_by)
    return plan
