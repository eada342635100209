"""Queue serving: the library calls the labeling UI makes (no torch here).

* :func:`next_item` returns what an annotator should label now and leases it.
  Order of preference, all inside one transaction (``annotator_transaction``: SQLite's
  ``BEGIN IMMEDIATE``; on PostgreSQL the annotator's own lock and a lock on the picked row) so
  two annotators never receive the same item unless overlap allows it:

  1. the annotator's own unexpired lease (a page reload shows the same text;
     the lease is renewed);
  2. every 5th item an annotator labels (``EVAL_EVERY``), while unlabeled
     evaluation items (``examples.is_eval``) remain, the next evaluation item
     by id — served like any other item, never trained on;
  3. the best-ranked eligible item of the current model version;
  4. remaining evaluation items, then items imported after the current
     version was ranked (by id).

  Before the worker has published any ranking, items come in a seeded
  shuffled order (``unranked``); nothing is published from here: rankings are
  the worker's (k-means diversity picks first, then the model's).
* Overlap: a deterministic fraction of items (``overlap_fraction``) is served
  blind to ``overlap_k`` distinct annotators (see :mod:`annotator.store.leases`).
* :func:`open_item` leases one named text (the Label page's ``?item=ID``, a text opened
  from the history panel or from Explore): refused, on one line, when it is flagged,
  fully labeled, or held by someone else. A text the annotator labeled before comes back
  with their label (``given``) and the provenance that label had, to be changed; any
  other text is recorded as chosen by a person (strategy ``opened``, or the caller's),
  never as the ranking's pick.
* :func:`save_label` records provenance from the lease (version, strategy,
  score), or from the current ranking if the lease expired or is missing, and the
  model's suggestion that was on screen (``suggestion``: accepting it is a label equal to it).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotator.config import Settings
from annotator.errors import InputError, shown
from annotator.services.label_mode import is_multi_label
from annotator.services.label_sets import set_text
from annotator.services.settings import get_settings
from annotator.services.training.triggers import new_training_labels
from annotator.store import jobs as job_store
from annotator.store import leases as q
from annotator.store.connection import annotator_transaction, read_snapshot
from annotator.store.dialect import is_postgres
from annotator.store.label_sets import add_label_set, members_of
from annotator.store.labels import add_label, current_label_of, undo_last
from annotator.store.project import Project
from annotator.store.reporting import pool_counts
from annotator.store.versions import current_version, example_score, latest_version

EVAL_EVERY = 5
EVAL_STRATEGY = "eval"
UNRANKED_STRATEGY = "unranked"
OPENED_STRATEGY = "opened"  # a text a person opened by its id (a link, the history panel), not a ranking's pick


@dataclass(frozen=True)
class ServedItem:
    """An item leased to an annotator, with the ranking that chose it and the model's suggestion."""

    example_id: int
    text: str
    meta: dict[str, Any]
    model_version: int | None
    strategy: str | None
    score: float | None
    rank: int | None
    predicted: str | None
    confidence: float | None
    lease_expires_at: float
    is_eval: bool
    overlap: bool
    given: str | None = None  # the annotator's own label, when the text is back to be changed (undo, history)
    given_set: tuple[str, ...] | None = None  # the same in a multi-label project: their set (given: its text)


def _overlap(settings: Settings) -> q.Overlap:
    return q.Overlap(settings.overlap_fraction, settings.overlap_k, settings.seed)


def _served(project: Project, example_id: int, version: dict[str, Any] | None,
            provenance: tuple[int | None, str | None, float | None], expires_at: float,
            overlap: q.Overlap, annotator: str, given: str | None = None,
            given_set: tuple[str, ...] | None = None) -> ServedItem:
    """The item as shown, read after the lease's transaction committed: decoding a text and its
    metadata (possibly large) never holds the write lock that other annotators' saves wait for.
    ``given`` / ``given_set``: the annotator's label or set to show with it (default: their current
    label or set of the text)."""
    with read_snapshot(project.db) as conn:
        text, meta, is_eval = q.example_text(conn, example_id)
        if given is None and given_set is None:
            mine = current_label_of(conn, example_id, annotator)
            if mine is not None and mine["kind"] == "annotation":
                given = mine["label"]
                if given is None:  # a multi-label row
                    given_set = tuple(members_of(conn, [mine["id"]])[mine["id"]])
        if given_set is not None:
            given = set_text(given_set)
        scored = example_score(project.db, version["version"], example_id) if version else None
    return ServedItem(
        example_id=example_id,
        text=text,
        meta=json.loads(meta) if meta else {},
        model_version=provenance[0],
        strategy=provenance[1],
        score=provenance[2],
        rank=scored["rank"] if scored else None,
        predicted=scored["predicted"] if scored else None,
        confidence=scored["confidence"] if scored else None,
        lease_expires_at=expires_at,
        is_eval=is_eval,
        overlap=overlap.is_overlap(example_id),
        given=given,
        given_set=given_set,
    )


def next_item(project: Project, annotator: str, *, now: float | None = None) -> ServedItem | None:
    """Lease the next item for ``annotator`` (or return their current lease); None when nothing is left."""
    now = time.time() if now is None else now
    settings = get_settings(project.db)
    overlap = _overlap(settings)
    expires_at = now + settings.lease_seconds
    with annotator_transaction(project.db, annotator) as conn:
        leased = _lease_next(conn, project, annotator, settings, overlap, now, expires_at)
    if leased is None:
        return None
    example_id, version, provenance = leased
    return _served(project, example_id, version, provenance, expires_at, overlap, annotator)


def _spread(seed: int, annotator: str, n: int) -> float:
    """A place in [0, 1) for the n-th unranked pick of an annotator: seeded, different per pick."""
    digest = hashlib.blake2b(f"{seed}/{annotator}/{n}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


CONFIRM_TRIES = 20  # picks in a row that another annotator's lease overtook, before giving up on this source


def _pick(conn, pick, where, annotator: str, now: float, overlap: q.Overlap) -> dict[str, Any] | None:
    """``pick(conn, where, annotator, now, overlap)``'s row, once it is confirmed free. On SQLite the write
    transaction holds every other writer out, so it is. On PostgreSQL the pick locked the row; a lease
    committed between the pick's snapshot and that lock is seen by
    :func:`~annotator.store.leases.still_eligible`, and then the pick runs again (its new snapshot sees
    that lease)."""
    postgres = is_postgres(conn)
    for _ in range(CONFIRM_TRIES if postgres else 1):
        row = pick(conn, where, annotator, now, overlap)
        if row is None or not postgres or q.still_eligible(conn, row["example_id"], annotator, now, overlap):
            return row
    return None


def _lease_next(conn, project: Project, annotator: str, settings: Settings, overlap: q.Overlap,
                now: float, expires_at: float) -> tuple[int, dict[str, Any], tuple] | None:
    """Inside the write transaction: choose and lease the item; (example_id, version, provenance)."""
    version = current_version(project.db)
    lease = q.active_lease(conn, annotator, now)
    if lease is not None:
        q.extend_lease(conn, lease["example_id"], annotator, expires_at, now)
        return lease["example_id"], version, (lease["model_version"], lease["strategy"], lease["score"])
    q.drop_expired_leases(conn, now)
    if version is None:
        # Before the worker's first ranking: a seeded shuffle of the pool (imported files are often
        # sorted), nothing published from here; evaluation items interleaved as usual.
        pick, strategy = None, UNRANKED_STRATEGY
        if q.count_label_rows(conn, annotator) % EVAL_EVERY == EVAL_EVERY - 1:
            pick, strategy = _pick(conn, q.pick_eval, None, annotator, now, overlap), EVAL_STRATEGY
        if pick is None:
            start = _spread(settings.seed, annotator, q.count_label_rows(conn, annotator))
            pick, strategy = _pick(conn, q.pick_from, start, annotator, now, overlap), UNRANKED_STRATEGY
        if pick is None:
            pick, strategy = _pick(conn, q.pick_eval, None, annotator, now, overlap), EVAL_STRATEGY
        if pick is None:
            return None
        provenance = (None, strategy, None)
        q.put_lease(conn, pick["example_id"], annotator, now, expires_at, *provenance)
        return pick["example_id"], None, provenance
    number = version["version"]
    pick, strategy = None, version["strategy"]
    if q.count_label_rows(conn, annotator) % EVAL_EVERY == EVAL_EVERY - 1:
        pick, strategy = _pick(conn, q.pick_eval, number, annotator, now, overlap), EVAL_STRATEGY
    if pick is None:
        pick, strategy = _pick(conn, q.pick_ranked, number, annotator, now, overlap), version["strategy"]
    if pick is None:
        pick, strategy = _pick(conn, q.pick_eval, number, annotator, now, overlap), EVAL_STRATEGY
    if pick is None:
        pick, strategy = _pick(conn, q.pick_unscored, number, annotator, now, overlap), UNRANKED_STRATEGY
    if pick is None:
        return None
    provenance = (number, strategy, pick["score"])
    q.put_lease(conn, pick["example_id"], annotator, now, expires_at, *provenance)
    return pick["example_id"], version, provenance


def save_label(
    project: Project,
    annotator: str,
    example_id: int,
    label: str,
    *,
    seconds: float | None = None,
    suggestion: str | None = None,
    now: float | None = None,
) -> int:
    """Save a label with the provenance of the lease that served it; return the label row id.

    ``suggestion``: the model's suggestion the annotator saw (None when there was none or it
    was hidden); a label equal to it is an accepted suggestion.

    A save that does not belong to a live lease of this annotator (it ran out while the text
    sat on screen, and the text may since have been served to someone else) is kept, marked
    ``late``: the lead sees it on the Review page, with any other label the text got. Never
    a silent second label.
    """
    now = time.time() if now is None else now
    if is_multi_label(project.db):
        raise InputError("this is a multi-label project: save a set of labels (save_label_set)")
    with annotator_transaction(project.db, annotator) as conn:
        provenance, late = _save_provenance(conn, project, annotator, example_id, now)
        return add_label(
            project.db, example_id, label, annotator, seconds=seconds,
            model_version=provenance[0], strategy=provenance[1], score=provenance[2], late=late,
            suggestion=suggestion, now=now,
        )


def _save_provenance(conn, project: Project, annotator: str, example_id: int,
                     now: float) -> tuple[tuple[int | None, str | None, float | None], bool]:
    """What a save records, in its transaction: the provenance (version, strategy, score) from the lease
    or the current ranking, and whether it is late; InputError for a text too long to be shown whole."""
    limit = get_settings(project.db).max_text_chars
    length = q.text_length(conn, example_id)
    if length is not None and length > limit:
        raise InputError(
            f"this text has {length:,} characters, more than max_text_chars ({limit:,}): it cannot be shown "
            "whole, so it cannot be labeled; skip it, or ask a lead to raise the setting"
        )
    lease = q.get_lease(conn, example_id, annotator)
    late = not q.lease_is_live(lease, now)
    if lease is not None:
        return (lease["model_version"], lease["strategy"], lease["score"]), late
    version = current_version(project.db)
    if version is None:
        return (None, None, None), late
    scored = example_score(project.db, version["version"], example_id)
    return (version["version"], version["strategy"], scored["score"] if scored else None), late


def save_label_set(
    project: Project,
    annotator: str,
    example_id: int,
    labels: list[str],
    *,
    seconds: float | None = None,
    suggestion: list[str] | None = None,
    now: float | None = None,
) -> int:
    """Save a multi-label project's set for a text, with the same provenance and lateness rules as
    :func:`save_label`; return the label row id. An empty set is refused unless the ``none_of_these``
    setting allows it; ``suggestion``: the model's suggested set that was on screen (kept as JSON)."""
    now = time.time() if now is None else now
    if not is_multi_label(project.db):
        raise InputError("this is a single-label project: save one label (save_label)")
    names = list(dict.fromkeys(labels))
    if not names and not get_settings(project.db).none_of_these:
        raise InputError("choose at least one label (the lead has not allowed 'none of these')")
    with annotator_transaction(project.db, annotator) as conn:
        provenance, late = _save_provenance(conn, project, annotator, example_id, now)
        return add_label_set(
            project.db, example_id, names, annotator, seconds=seconds,
            model_version=provenance[0], strategy=provenance[1], score=provenance[2], late=late,
            suggestion=None if suggestion is None else json.dumps(list(suggestion)), now=now,
        )


def skip(project: Project, annotator: str, example_id: int, *, now: float | None = None) -> None:
    """Give the item back to the queue for others; it is not served to this annotator again."""
    with annotator_transaction(project.db, annotator) as conn:
        if not q.example_exists(conn, example_id):
            raise InputError(f"no example with id {example_id}")
        q.add_skip(conn, example_id, annotator, time.time() if now is None else now)
        q.drop_lease(conn, example_id, annotator)


def keep_alive(project: Project, annotator: str, example_id: int, *, now: float | None = None) -> bool:
    """The text is still on the annotator's screen: keep its lease blocking it for others
    (see ``PRESENCE_SECONDS`` in :mod:`annotator.store.leases`); False when the lease is gone."""
    with annotator_transaction(project.db, annotator) as conn:
        return q.mark_seen(conn, example_id, annotator, time.time() if now is None else now)


def release(project: Project, annotator: str, example_id: int) -> bool:
    """Drop the annotator's lease on the item (it may be served to them again); True if one existed."""
    with annotator_transaction(project.db, annotator) as conn:
        return q.drop_lease(conn, example_id, annotator)


def undo(project: Project, annotator: str, *, now: float | None = None) -> ServedItem | None:
    """Supersede the annotator's last label and lease that item back to them; None if nothing to undo."""
    now = time.time() if now is None else now
    settings = get_settings(project.db)
    expires_at = now + settings.lease_seconds
    with annotator_transaction(project.db, annotator) as conn:
        row = undo_last(project.db, annotator)
        if row is None:
            return None
        provenance = (row["model_version"], row["strategy"], row["score"])
        q.put_lease(conn, row["example_id"], annotator, now, expires_at, *provenance)
        version = current_version(project.db)
        given_set = None if row["label"] is not None else tuple(members_of(conn, [row["id"]])[row["id"]])
    return _served(project, row["example_id"], version, provenance, expires_at, _overlap(settings), annotator,
                   given=row["label"], given_set=given_set)


def open_item(project: Project, annotator: str, example_id: int, *, strategy: str = OPENED_STRATEGY,
              now: float | None = None) -> ServedItem:
    """Lease the text ``example_id`` to ``annotator`` now (see the module docstring); InputError
    (one line, nothing changed) when it cannot be theirs. The caller releases the text it showed before."""
    now = time.time() if now is None else now
    settings = get_settings(project.db)
    overlap = _overlap(settings)
    expires_at = now + settings.lease_seconds
    try:
        example_id = int(example_id)
    except (TypeError, ValueError):
        raise InputError(f"no text with id {shown(example_id)}") from None
    with annotator_transaction(project.db, annotator) as conn:
        if not q.lock_example(conn, example_id):
            raise InputError(f"no text with id {example_id}")
        version = current_version(project.db)
        mine = current_label_of(conn, example_id, annotator)
        if mine is not None and mine["kind"] == "annotation":
            provenance = (mine["model_version"], mine["strategy"], mine["score"])
        elif mine is not None:
            raise InputError(f"text {example_id} holds your {mine['kind']}, which is changed on the Review page")
        else:
            if q.held_by_flag(conn, example_id):
                raise InputError(f"text {example_id} is flagged: it is out of the queue until a lead returns it")
            lease = q.get_lease(conn, example_id, annotator)
            labels, leases = q.others_on(conn, example_id, annotator, now)
            if lease is None or lease["expires_at"] <= now:
                if labels >= overlap.needed(example_id):
                    raise InputError(f"text {example_id} is already labeled")
                if labels + leases >= overlap.needed(example_id):
                    raise InputError(f"text {example_id} is being labeled by someone else right now")
                scored = example_score(project.db, version["version"], example_id) if version else None
                provenance = (version["version"] if version else None, strategy, scored["score"] if scored else None)
            else:
                provenance = (lease["model_version"], lease["strategy"], lease["score"])
        q.put_lease(conn, example_id, annotator, now, expires_at, *provenance)
    return _served(project, example_id, version, provenance, expires_at, overlap, annotator)


def _worker_pid(project: Project) -> int | None:
    """The pid recorded by a live worker's lock file, if that process exists."""
    try:
        pid = int((Path(project.path) / "worker.lock").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid


def queue_status(project: Project) -> dict[str, Any]:
    """What the training-status panel shows: current version, running job, labels since refreshes."""
    db = project.db
    settings = get_settings(db)
    with read_snapshot(db):
        version = current_version(db)
        finetuned = latest_version(db, "finetune")
        running = job_store.running_jobs(db)
        last_job = job_store.latest_job(db)
        since_refresh = new_training_labels(db, version)
        since_finetune = new_training_labels(db, finetuned)
    return {
        "version": version["version"] if version else None,
        "kind": version["kind"] if version else None,
        "strategy": version["strategy"] if version else None,
        "refreshed_at": version["created_at"] if version else None,
        "metrics": version["metrics"] if version else {},
        "finetune_version": finetuned["version"] if finetuned else None,
        "finetuned_at": finetuned["created_at"] if finetuned else None,
        "job": running[-1] if running else None,
        "last_error": last_job["error"] if last_job and last_job["status"] == "failed" else None,
        "labels_since_refresh": since_refresh,
        "labels_since_finetune": since_finetune,
        "batch_size": settings.batch_size,
        "finetune_every": settings.finetune_every,
        "worker_pid": _worker_pid(project),
    }


def project_progress(project: Project) -> dict[str, int]:
    """The pool and evaluation-set counts (:func:`annotator.store.reporting.pool_counts`)."""
    return pool_counts(project.db)


def annotator_progress(project: Project, annotator: str, *, now: float | None = None) -> dict[str, Any]:
    """The annotator's current labels today (since 00:00 UTC) and in total: what the card shows after
    every label, so nothing that counts the whole pool (:func:`project_progress` gives that)."""
    now = time.time() if now is None else now
    midnight = now - (now % 86_400)
    with read_snapshot(project.db) as conn:
        today, total = q.annotator_counts(conn, annotator, midnight)
    return {"today": today, "total": total}
