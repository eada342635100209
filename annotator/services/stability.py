"""The stopping signal: how much the pool's predictions moved from one model version to the next.

When more labels stop changing the model's mind about the pool, more labels
stop helping. The worker records the change from the previous version in
each new version's metrics (``prediction_change``) right after publishing,
while both versions still hold their scores, so the dashboard can show the
whole history although old versions' scores are pruned.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from annotator.services.agreement import cohen_kappa_table
from annotator.store import reporting as queries
from annotator.store import versions
from annotator.store.project import Project

METRICS_KEY = "prediction_change"


def prediction_change(project: Project, old: int, new: int) -> dict[str, Any] | None:
    """Pool items scored by both versions: how many changed their predicted label, and κ.

    None when the two versions share no scored pool item.
    """
    cells = queries.prediction_crosstab(project.db, old, new)
    if not cells:
        return None
    names = sorted({c["old"] for c in cells} | {c["new"] for c in cells})
    index = {name: k for k, name in enumerate(names)}
    table = np.zeros((len(names), len(names)))
    for cell in cells:
        table[index[cell["old"]], index[cell["new"]]] += cell["n"]
    total = int(table.sum())
    changed = total - int(np.trace(table))
    return {"old": int(old), "new": int(new), "n_compared": total, "n_changed": changed,
            "changed_fraction": changed / total, "kappa": cohen_kappa_table(table)}


def _holding_scores(listed: list[dict[str, Any]]) -> list[int]:
    """The versions (in order) whose pool scores are still stored."""
    return [v["version"] for v in listed if v.get("scores_pruned_at") is None and (v.get("n_scored") or 0) > 0]


def record_prediction_change(project: Project, version: int) -> dict[str, Any] | None:
    """Store the change from the version published before ``version`` in its metrics."""
    earlier = [v for v in _holding_scores(versions.list_versions(project.db)) if v < version]
    if not earlier:
        return None
    change = prediction_change(project, earlier[-1], version)
    if change is not None:
        versions.update_metrics(project.db, version, {METRICS_KEY: change})
    return change


def stopping_history(project: Project) -> list[dict[str, Any]]:
    """One record per consecutive pair of versions, oldest first: the stored ones, and the
    pairs still holding scores computed now (versions published before the worker stored them)."""
    listed = versions.list_versions(project.db)
    records = {v["version"]: {**v["metrics"][METRICS_KEY], "new": v["version"]}
               for v in listed if METRICS_KEY in (v["metrics"] or {})}
    scored = _holding_scores(listed)
    for old, new in zip(scored, scored[1:]):
        if new not in records:
            change = prediction_change(project, old, new)
            if change is not None:
                records[new] = change
    return [records[v] for v in sorted(records)]


def after_publish(project: Project, version: int | None, *, prune: bool = True) -> None:
    """What follows every publish: record the change from the previous version unless the publisher
    already did (it needs that version's scores), then prune the scores of old versions (``prune``
    False: the worker prunes when idle)."""
    if version is not None:
        stored = (versions.get_version(project.db, version) or {}).get("metrics") or {}
        if METRICS_KEY not in stored:
            record_prediction_change(project, version)
    if prune:
        versions.prune_scores(project.db)


def change_between(old_version: int, old: tuple[np.ndarray, np.ndarray, list[str]],
                   new: tuple[np.ndarray, np.ndarray, list[str]]) -> dict[str, Any] | None:
    """The stopping signal from two in-memory predictions of the pool, each ``(ids ascending,
    predicted class indices, classes)``: how many of the texts both cover changed, and Cohen's kappa
    between them. The worker keeps the last version's predictions, so a refresh needs no query over
    millions of score rows."""
    (old_ids, old_pred, old_classes), (new_ids, new_pred, new_classes) = old, new
    common, old_at, new_at = np.intersect1d(old_ids, new_ids, assume_unique=True, return_indices=True)
    if not len(common):
        return None
    names = list(dict.fromkeys([*new_classes, *old_classes]))
    to_names = np.asarray([names.index(c) for c in old_classes], dtype=np.int64)
    a = to_names[np.asarray(old_pred)[old_at]]
    b = np.asarray([names.index(c) for c in new_classes], dtype=np.int64)[np.asarray(new_pred)[new_at]]
    k = len(names)
    table = np.bincount(a * k + b, minlength=k * k).reshape(k, k).astype(float)
    used = (table.sum(axis=0) + table.sum(axis=1)) > 0
    table = table[np.ix_(used, used)]
    total = int(table.sum())
    changed = total - int(np.trace(table))
    return {"old": int(old_version), "n_compared": total, "n_changed": changed,
            "changed_fraction": changed / total, "kappa": cohen_kappa_table(table)}
