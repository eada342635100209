"""The lead's dashboard as data frames: progress, annotators, agreement, model quality.

Library only (the page draws what this returns). Every number comes from an
aggregate query in :mod:`annotator.store.dashboard` or from
:mod:`annotator.agreement`; :func:`load_dashboard` gathers them all, which
is what the page caches and what ``scripts/measure_dashboard.py`` times.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from annotator import agreement
from annotator.store import dashboard as queries
from annotator.store import versions
from annotator.store.project import Project
from annotator.store.settings import get_labels

IDLE_GAP_SECONDS = 600.0
BUCKET_CHOICES = (60, 300, 900, 3600, 3 * 3600, 6 * 3600, 86_400, 7 * 86_400, 30 * 86_400)
MAX_BUCKETS = 120
STOPPING_PAIRS = 10


@dataclass
class AgreementReport:
    summary: dict[str, float]          # n_items, percent, fleiss_kappa, krippendorff_alpha
    pairwise: pd.DataFrame             # annotator_a, annotator_b, n_items, percent, cohen_kappa
    per_label: pd.DataFrame            # label, n_ratings, percent, fleiss_kappa, krippendorff_alpha
    n_annotators: int


@dataclass
class Dashboard:
    counts: dict[str, int]
    progress: pd.DataFrame             # time, added, labeled, pool_total, labeled_total
    label_progress: pd.DataFrame       # time, label, n, cumulative
    per_label: pd.DataFrame            # label, n_labels, n_items
    annotators: pd.DataFrame           # annotator, n_labels, n_current, active_hours, labels_per_hour, median_seconds
    annotator_labels: pd.DataFrame     # annotator, label, n, share
    agreement: AgreementReport
    learning_curve: pd.DataFrame       # version, kind, n_labels, accuracy, macro_f1, n_eval
    confusion: pd.DataFrame            # true, predicted, n   (current evaluated version)
    confusion_version: int | None
    stopping: pd.DataFrame             # old, new, n_compared, n_changed, changed_fraction, kappa
    adjudicated: int


def _frame(rows: list[dict[str, Any]], dtypes: dict[str, str]) -> pd.DataFrame:
    """A frame with the given columns and dtypes, also when there are no rows."""
    return pd.DataFrame(rows, columns=list(dtypes)).astype(dtypes)


def choose_bucket(span_seconds: float) -> int:
    """The smallest bucket width from :data:`BUCKET_CHOICES` giving at most MAX_BUCKETS buckets."""
    for width in BUCKET_CHOICES:
        if span_seconds / width <= MAX_BUCKETS:
            return width
    return BUCKET_CHOICES[-1]


def progress(project: Project, bucket_seconds: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pool and labeled examples over time, and current labels per label over time (cumulative)."""
    if bucket_seconds is None:
        first, last = queries.time_range(project.db)
        bucket_seconds = choose_bucket((last - first) if first is not None else 0.0)
    rows = _frame(
        queries.progress_over_time(project.db, bucket_seconds),
        {"bucket": "float64", "added": "int64", "labeled": "int64"},
    )
    rows["time"] = pd.to_datetime(rows["bucket"], unit="s", utc=True)
    rows["pool_total"] = rows["added"].cumsum()
    rows["labeled_total"] = rows["labeled"].cumsum()
    per_label = _frame(
        queries.label_counts_over_time(project.db, bucket_seconds),
        {"bucket": "float64", "label": "object", "n": "int64"},
    )
    per_label["time"] = pd.to_datetime(per_label["bucket"], unit="s", utc=True)
    per_label["cumulative"] = per_label.groupby("label")["n"].cumsum()
    return (
        rows[["time", "added", "labeled", "pool_total", "labeled_total"]],
        per_label[["time", "label", "n", "cumulative"]],
    )


def annotator_table(project: Project) -> pd.DataFrame:
    """Per annotator: labels, active hours, labels per active hour, median seconds per label."""
    frame = _frame(
        queries.annotator_activity(project.db, IDLE_GAP_SECONDS),
        {"annotator": "object", "n_labels": "int64", "n_current": "int64", "first_at": "float64",
         "last_at": "float64", "active_seconds": "float64", "median_seconds": "float64"},
    )
    frame["active_hours"] = frame["active_seconds"].astype(float) / 3600.0
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = frame["n_labels"].astype(float) / frame["active_hours"]
    frame["labels_per_hour"] = rate.where(frame["active_hours"] > 0)
    return frame[["annotator", "n_labels", "n_current", "active_hours", "labels_per_hour", "median_seconds"]]


def annotator_label_table(project: Project) -> pd.DataFrame:
    frame = _frame(
        queries.annotator_label_distribution(project.db), {"annotator": "object", "label": "object", "n": "int64"}
    )
    frame["share"] = frame["n"] / frame.groupby("annotator")["n"].transform("sum")
    return frame


def agreement_report(project: Project) -> AgreementReport:
    """Agreement over the items labeled by two or more annotators (current labels)."""
    rows = pd.DataFrame(queries.overlap_labels(project.db), columns=["example_id", "annotator", "label"])
    ratings = agreement.ratings_frame(rows)
    labels = get_labels(project.db)
    return AgreementReport(
        summary=agreement.agreement_summary(ratings),
        pairwise=agreement.pairwise_cohen(ratings),
        per_label=agreement.per_label_agreement(ratings, labels=labels),
        n_annotators=int(rows["annotator"].nunique()),
    )


def _eval_metrics(version: dict[str, Any]) -> dict[str, Any] | None:
    """The evaluation-set metrics of a version, or None when it was not evaluated."""
    metrics = version.get("metrics") or {}
    if isinstance(metrics.get("eval"), dict):
        metrics = metrics["eval"]
    if metrics.get("accuracy") is None:
        return None
    return metrics


def learning_curve(project: Project) -> pd.DataFrame:
    """Accuracy and macro-F1 on the evaluation set per evaluated version, against labels used."""
    records = []
    for version in versions.list_versions(project.db):
        metrics = _eval_metrics(version)
        if metrics is None:
            continue
        records.append(
            {
                "version": version["version"],
                "kind": version["kind"],
                "n_labels": version["n_labels"],
                "accuracy": float(metrics["accuracy"]),
                "macro_f1": float(metrics["macro_f1"]) if metrics.get("macro_f1") is not None else None,
                "n_eval": metrics.get("n_eval", metrics.get("support")),
            }
        )
    return pd.DataFrame(records, columns=["version", "kind", "n_labels", "accuracy", "macro_f1", "n_eval"])


def confusion(project: Project) -> tuple[pd.DataFrame, int | None]:
    """The confusion matrix (long: true, predicted, n) of the newest evaluated version."""
    for version in reversed(versions.list_versions(project.db)):
        metrics = _eval_metrics(version)
        if metrics is None or metrics.get("confusion") is None:
            continue
        matrix = metrics["confusion"]
        names = metrics.get("labels") or get_labels(project.db)
        if isinstance(matrix, dict):  # {true: {predicted: n}}
            records = [
                {"true": t, "predicted": p, "n": int(n)} for t, row in matrix.items() for p, n in row.items()
            ]
        else:
            records = [
                {"true": names[i], "predicted": names[j], "n": int(n)}
                for i, row in enumerate(matrix)
                for j, n in enumerate(row)
            ]
        return pd.DataFrame(records, columns=["true", "predicted", "n"]), version["version"]
    return pd.DataFrame(columns=["true", "predicted", "n"]), None


def stopping_signal(project: Project, max_pairs: int = STOPPING_PAIRS) -> pd.DataFrame:
    """Changed pool predictions and Cohen's kappa between consecutive versions that hold scores."""
    scored = [
        v["version"]
        for v in versions.list_versions(project.db)
        if v.get("scores_pruned_at") is None and (v.get("n_scored") or 0) > 0
    ]
    records = []
    for old, new in list(zip(scored, scored[1:]))[-max_pairs:]:
        cells = queries.prediction_crosstab(project.db, old, new)
        if not cells:
            continue
        names = sorted({c["old"] for c in cells} | {c["new"] for c in cells})
        index = {name: k for k, name in enumerate(names)}
        table = np.zeros((len(names), len(names)))
        for cell in cells:
            table[index[cell["old"]], index[cell["new"]]] += cell["n"]
        total = int(table.sum())
        changed = total - int(np.trace(table))
        records.append(
            {
                "old": old,
                "new": new,
                "n_compared": total,
                "n_changed": changed,
                "changed_fraction": changed / total,
                "kappa": agreement.cohen_kappa_table(table),
            }
        )
    return pd.DataFrame(records, columns=["old", "new", "n_compared", "n_changed", "changed_fraction", "kappa"])


def load_dashboard(project: Project) -> Dashboard:
    """Every dashboard frame in one call."""
    progress_frame, label_progress = progress(project)
    confusion_frame, confusion_version = confusion(project)
    per_label = pd.DataFrame(queries.label_counts(project.db), columns=["label", "position", "n_labels", "n_items"])
    return Dashboard(
        counts=queries.pool_counts(project.db),
        progress=progress_frame,
        label_progress=label_progress,
        per_label=per_label[["label", "n_labels", "n_items"]],
        annotators=annotator_table(project),
        annotator_labels=annotator_label_table(project),
        agreement=agreement_report(project),
        learning_curve=learning_curve(project),
        confusion=confusion_frame,
        confusion_version=confusion_version,
        stopping=stopping_signal(project),
        adjudicated=queries.adjudication_count(project.db),
    )


def _json_number(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else round(value, 4)


def agreement_stats(project: Project) -> dict[str, Any]:
    """``stats["agreement"]``: percent, fleiss_kappa, krippendorff_alpha (None when undefined)."""
    rows = pd.DataFrame(queries.overlap_labels(project.db), columns=["example_id", "annotator", "label"])
    summary = agreement.agreement_summary(agreement.ratings_frame(rows))
    return {
        "n_items": summary["n_items"],
        "percent": _json_number(summary["percent"]),
        "fleiss_kappa": _json_number(summary["fleiss_kappa"]),
        "krippendorff_alpha": _json_number(summary["krippendorff_alpha"]),
    }


def model_stats(project: Project) -> dict[str, Any]:
    """``stats["model"]``: the current version and its evaluation accuracy and macro-F1.

    ``version`` is None before any model exists; the metrics are None when the
    current version was not evaluated (no labeled evaluation items yet).
    """
    current = versions.current_version(project.db)
    if current is None:
        return {"version": None, "kind": None, "n_labels": 0, "accuracy": None, "macro_f1": None}
    metrics = _eval_metrics(current) or {}
    return {
        "version": current["version"],
        "kind": current["kind"],
        "n_labels": current["n_labels"],
        "accuracy": _json_number(metrics.get("accuracy")),
        "macro_f1": _json_number(metrics.get("macro_f1")),
    }
