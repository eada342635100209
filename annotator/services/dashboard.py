"""The lead's dashboard as data frames: progress, annotators, agreement, model quality.

Library only (the page draws what this returns). Every number comes from an
aggregate query in :mod:`annotator.store.reporting` or from
:mod:`annotator.services.agreement`; :func:`load_dashboard` gathers them all, which
is what the page caches and what ``scripts/measure_dashboard.py`` times.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from annotator.services import agreement, flags, model_export, stability
from annotator.services.label_mode import is_multi_label
from annotator.services.labelset import get_labels
from annotator.services.set_agreement import set_agreement
from annotator.services.set_quality import per_label_quality
from annotator.services.set_review import set_disagreements
from annotator.store import reporting as queries
from annotator.store import set_reporting, versions
from annotator.store.labels import count_late_labels
from annotator.store.project import Project

IDLE_GAP_SECONDS = 600.0
BUCKET_CHOICES = (60, 300, 900, 3600, 3 * 3600, 6 * 3600, 86_400, 7 * 86_400, 30 * 86_400)
MAX_BUCKETS = 120
STOPPING_PAIRS = 50


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
    learning_curve: pd.DataFrame       # version, kind, model, n_labels, accuracy, macro_f1, micro_f1, n_eval
    confusion: pd.DataFrame            # true, predicted, n   (current evaluated version)
    confusion_version: int | None
    stopping: pd.DataFrame             # old, new, n_compared, n_changed, changed_fraction, kappa
    adjudicated: int
    model: dict[str, Any]              # model_stats: the current model and its exported figures
    disagreements: int = 0             # texts whose annotators disagree and no lead has settled
    label_quality: pd.DataFrame | None = None  # multi-label: label, precision, recall, f1, support (current version)


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
    counts_over_time = (set_reporting.set_label_counts_over_time if is_multi_label(project.db)
                        else queries.label_counts_over_time)
    per_label = _frame(
        counts_over_time(project.db, bucket_seconds),
        {"bucket": "float64", "label": "object", "n": "int64"},
    )
    per_label["time"] = pd.to_datetime(per_label["bucket"], unit="s", utc=True)
    per_label["cumulative"] = per_label.groupby("label")["n"].cumsum()
    return (
        rows[["time", "added", "labeled", "pool_total", "labeled_total"]],
        per_label[["time", "label", "n", "cumulative"]],
    )


def annotator_table(project: Project) -> pd.DataFrame:
    """Per annotator: labels given, active hours, labels per active hour, median seconds per label.

    Counts every annotation row, superseded or not (it was work). Active time:
    the gaps between an annotator's consecutive labels up to IDLE_GAP_SECONDS;
    a longer gap starts a new session, whose first label counts its own
    recorded ``seconds`` (capped at the idle gap).
    """
    names, created, seconds, superseded = queries.annotation_times(project.db)
    columns = ["annotator", "n_labels", "n_current", "active_hours", "labels_per_hour", "median_seconds"]
    if not names:
        return _frame([], dict.fromkeys(columns, "float64") | {"annotator": "object", "n_labels": "int64",
                                                                 "n_current": "int64"})
    names = np.asarray(names, dtype=object)
    created = np.asarray(created, dtype=float)
    spent = np.asarray([np.nan if s is None else s for s in seconds], dtype=float)
    superseded = np.asarray(superseded, dtype=bool)
    starts = np.flatnonzero(np.r_[True, names[1:] != names[:-1]])
    ends = np.r_[starts[1:], len(names)]
    gaps = np.diff(created, prepend=np.nan)
    gaps[starts] = np.nan  # the first label of each annotator has no predecessor
    within = np.where(gaps <= IDLE_GAP_SECONDS, gaps, np.nan)
    session_first = np.where(np.isnan(within), np.nan_to_num(np.minimum(spent, IDLE_GAP_SECONDS)), 0.0)
    active = np.nan_to_num(within) + session_first
    records = []
    for start, end in zip(starts, ends):
        own = spent[start:end]
        active_hours = float(active[start:end].sum()) / 3600.0
        n_labels = int(end - start)
        records.append(
            {
                "annotator": names[start],
                "n_labels": n_labels,
                "n_current": int((~superseded[start:end]).sum()),
                "active_hours": active_hours,
                "labels_per_hour": n_labels / active_hours if active_hours > 0 else np.nan,
                "median_seconds": float(np.nanmedian(own)) if np.isfinite(own).any() else np.nan,
            }
        )
    return pd.DataFrame(records, columns=columns)


def annotator_label_table(project: Project) -> pd.DataFrame:
    distribution = (set_reporting.set_annotator_label_distribution if is_multi_label(project.db)
                    else queries.annotator_label_distribution)
    frame = _frame(distribution(project.db), {"annotator": "object", "label": "object", "n": "int64"})
    frame["share"] = frame["n"] / frame.groupby("annotator")["n"].transform("sum")
    return frame


def overlap_ratings(project: Project) -> pd.DataFrame:
    """Ratings frame (items x annotators) of the items labeled by two or more annotators."""
    votes = queries.overlap_votes(project.db)
    if not votes:
        return pd.DataFrame()
    frame = pd.DataFrame.from_records([v for _, v in votes], index=[e for e, _ in votes])
    return frame.reindex(columns=sorted(frame.columns))


def agreement_report(project: Project) -> AgreementReport:
    """Agreement over the items labeled by two or more annotators (current labels). A multi-label
    project's: :func:`set_agreement_report`."""
    if is_multi_label(project.db):
        return set_agreement_report(project)
    ratings = overlap_ratings(project)
    tables = agreement.agreement_tables(ratings, labels=get_labels(project.db))
    return AgreementReport(
        summary=tables.summary,
        pairwise=tables.pairwise,
        per_label=tables.per_label,
        n_annotators=int(ratings.shape[1]),
    )


def set_agreement_report(project: Project) -> AgreementReport:
    """A multi-label project's agreement (:func:`annotator.services.set_agreement.set_agreement`) as the
    Dashboard shows it: ``summary["krippendorff_alpha"]`` is alpha with the MASI distance over whole
    sets (``percent`` and ``fleiss_kappa`` undefined there, NaN); ``per_label`` each label as a yes/no
    rating (no ``n_ratings``); no pairwise table."""
    found = set_agreement(project)
    per_label = pd.DataFrame(
        [{"label": name, **{key: math.nan if value is None else value for key, value in row.items()}}
         for name, row in found["per_label"].items()],
        columns=["label", "percent", "fleiss_kappa", "krippendorff_alpha"])
    alpha = found["masi_alpha"]
    return AgreementReport(
        summary={"n_items": found["n_items"], "percent": math.nan, "fleiss_kappa": math.nan,
                 "krippendorff_alpha": math.nan if alpha is None else alpha},
        pairwise=pd.DataFrame(columns=["annotator_a", "annotator_b", "n_items", "percent", "cohen_kappa"]),
        per_label=per_label, n_annotators=0)


def _eval_metrics(version: dict[str, Any]) -> dict[str, Any] | None:
    """The evaluation-set metrics of a version, or None when it was not evaluated."""
    metrics = version.get("metrics") or {}
    if isinstance(metrics.get("eval"), dict):
        metrics = metrics["eval"]
    if metrics.get("accuracy") is None:
        return None
    return metrics


def learning_curve(project: Project) -> pd.DataFrame:
    """Accuracy and macro-F1 (a multi-label version: also micro-F1; its accuracy is the subset
    accuracy) on the evaluation set per evaluated version, against labels used.

    Each row is the version's predictor (``model``): the one that ranked the queue, made the
    suggestions, and that Export writes for that version.
    """
    records = []
    for version in versions.list_versions(project.db):
        metrics = _eval_metrics(version)
        if metrics is None:
            continue
        records.append(
            {
                "version": version["version"],
                "kind": version["kind"],
                "model": model_export.describe_predictor(version),
                "n_labels": version["n_labels"],
                "accuracy": float(metrics["accuracy"]),
                "macro_f1": float(metrics["macro_f1"]) if metrics.get("macro_f1") is not None else None,
                "micro_f1": float(metrics["micro_f1"]) if metrics.get("micro_f1") is not None else None,
                "n_eval": metrics.get("n_eval", metrics.get("support")),
            }
        )
    return pd.DataFrame(records, columns=["version", "kind", "model", "n_labels", "accuracy", "macro_f1", "micro_f1",
                                          "n_eval"])


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
    """Changed pool predictions and Cohen's kappa between consecutive versions (the newest pairs)."""
    records = stability.stopping_history(project)[-max_pairs:]
    return pd.DataFrame(records, columns=["old", "new", "n_compared", "n_changed", "changed_fraction", "kappa"])


def data_stamp(project: Project) -> tuple:
    """Changes whenever anything the dashboard shows may have changed (the page's cache key)."""
    return queries.data_stamp(project.db)


def load_dashboard(project: Project) -> Dashboard:
    """Every dashboard frame in one call."""
    progress_frame, label_progress = progress(project)
    confusion_frame, confusion_version = confusion(project)
    counts = set_reporting.set_label_counts if is_multi_label(project.db) else queries.label_counts
    per_label = pd.DataFrame(counts(project.db), columns=["label", "position", "n_labels", "n_items"])
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
        model=model_stats(project),
        disagreements=len(set_disagreements(project) if is_multi_label(project.db)
                          else queries.disagreements(project.db)),
        label_quality=per_label_quality(project)[0] if is_multi_label(project.db) else None,
    )


def review_counts(project: Project) -> dict[str, int]:
    """What waits for a lead on the Review page besides disagreements (cheap; never cached):
    late labels, texts with an open flag, texts kept out of the queue, unread comments."""
    return {"late": count_late_labels(project.db), **flags.counts(project)}


def _json_number(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else round(value, 4)


def agreement_stats(project: Project) -> dict[str, Any]:
    """``stats["agreement"]``: percent, fleiss_kappa, krippendorff_alpha (None when undefined)."""
    summary = agreement.agreement_summary(overlap_ratings(project))
    return {
        "n_items": summary["n_items"],
        "percent": _json_number(summary["percent"]),
        "fleiss_kappa": _json_number(summary["fleiss_kappa"]),
        "krippendorff_alpha": _json_number(summary["krippendorff_alpha"]),
    }


def model_stats(project: Project) -> dict[str, Any]:
    """``stats["model"]``: the current version, its predictor and its evaluation figures.

    ``version`` is None before any model exists; the metrics are None when the
    current version was not evaluated (no labeled evaluation items yet).
    ``predictor`` names what the figures are of (the same predictor ranks the
    queue, makes the suggestions and is exported); ``exported`` holds the
    figures measured on the exported artifact itself (None until measured:
    the worker measures each new version, ``labelloop stats`` when missing). ``scored``: the pool
    texts the current version has scored (its ranking covers them; all of them once it is written
    whole, e.g. after ``labelloop score``).
    """
    current = versions.current_version(project.db)
    if current is None:
        return {"version": None, "kind": None, "predictor": None, "n_labels": 0, "accuracy": None,
                "macro_f1": None, "n_eval": 0, "exported": None, "scored": 0}
    metrics = _eval_metrics(current) or {}
    has_model = versions.version_head(project.db, current["version"]) is not None
    return {
        "version": current["version"],
        "kind": current["kind"],
        "predictor": model_export.describe_predictor(current) if has_model else None,
        "n_labels": current["n_labels"],
        "accuracy": _json_number(metrics.get("accuracy")),
        "macro_f1": _json_number(metrics.get("macro_f1")),
        **({"micro_f1": _json_number(metrics["micro_f1"]),  # a multi-label version (accuracy: subset accuracy)
            "subset_accuracy": _json_number(metrics.get("subset_accuracy"))} if "micro_f1" in metrics else {}),
        "n_eval": metrics.get("n_eval", 0),
        "exported": _exported(model_export.exported_summary(current)) if has_model else None,
        "scored": versions.scored_pool_count(project.db, current["version"]),
    }


def _exported(summary: dict[str, Any]) -> dict[str, Any]:
    return {**summary, "accuracy": _json_number(summary["accuracy"]), "macro_f1": _json_number(summary["macro_f1"])}
