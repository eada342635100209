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
    records = {v["version"]: v["metrics"][METRICS_KEY] for v in listed if METRICS_KEY in (v["metrics"] or {})}
    scored = _holding_scores(listed)
    for old, new in zip(scored, scored[1:]):
        if new not in records:
            change = prediction_change(project, old, new)
            if change is not None:
                records[new] = change
    return [records[v] for v in sorted(records)]


def after_publish(project: Project, version: int | None) -> None:
    """What follows every publish: record the change from the previous version (it needs that
    version's scores), then prune the scores of old versions."""
    if version is not None:
        record_prediction_change(project, version)
    versions.prune_scores(project.db)
