"""Per-label quality of a multi-label project's current model on its labeled evaluation texts:
precision, recall, F1 and support of each label, the model's suggested set of each evaluation text
(the version's ``scores.predicted``, the set the head decides with its thresholds) against the text's
final set (:func:`annotator.services.label_set_finals.resolved_sets`). The version's micro- and
macro-F1 are computed from the same sets when it is published.
"""

from __future__ import annotations

import pandas as pd

from annotator.services.label_set_finals import resolved_sets
from annotator.services.label_sets import suggested_set
from annotator.services.labelset import get_labels
from annotator.store.label_sets import current_label_sets
from annotator.store.project import Project
from annotator.store.versions import current_version, example_score

QUALITY_COLUMNS = ["label", "precision", "recall", "f1", "support"]


def per_label_quality(project: Project) -> tuple[pd.DataFrame, int | None]:
    """``(frame of QUALITY_COLUMNS, version)`` of the current version; an empty frame and None when it
    has no multi-label evaluation (no evaluation text has a set, or it scored none of them)."""
    from learner.multi_label_metrics import evaluate_sets

    empty = pd.DataFrame(columns=QUALITY_COLUMNS)
    version = current_version(project.db)
    if version is None or (version.get("metrics") or {}).get("micro_f1") is None:
        return empty, None
    labels = get_labels(project.db)
    truth, predicted = [], []
    for example_id, names in resolved_sets(current_label_sets(project.db, evaluation=True), labels):
        scored = example_score(project.db, version["version"], example_id)
        suggested = suggested_set(scored["predicted"], labels) if scored else None
        if suggested is not None:
            truth.append(names)
            predicted.append(suggested)
    if not truth:
        return empty, None
    result = evaluate_sets(truth, predicted, labels)
    rows = [{"label": name, **{key: figures[key] for key in QUALITY_COLUMNS[1:]}}
            for name, figures in result["per_label"].items()]
    return pd.DataFrame(rows, columns=QUALITY_COLUMNS), version["version"]
