"""Predictions over a whole corpus with the exported model: a file of texts, or the unlabeled pool.

The predictor is the built artifact of a version (:mod:`annotator.services.model_export`),
loaded as a classifier, so every prediction is the one
``transformers.pipeline`` gives on the unzipped export. Texts are read and
written in chunks (:mod:`annotator.io.streams`): memory holds one chunk, not
the corpus. Each output row: ``id`` (the ``--id-column`` value, the row number,
or the example id for the pool), ``ext_id`` (pool only), ``text``,
``predicted``, ``confidence`` (its probability), ``model_version``, then
``proba_<label>`` for every label, or with ``top_k`` the columns
``top1_label, top1_score, ..., topK_label, topK_score``.

A multi-label project's model gives each label's sigmoid (the exported folder is a
``multi_label_classification`` model): ``predicted`` is the set of labels whose
probability reaches that label's threshold (the thresholds in the export's ``labelloop.json``), the set
the labeling card suggests for the text; a list in JSONL and Parquet, names joined by
``label_separator`` in CSV (``[]``: the empty set), as exports write sets. ``confidence`` is then the
distance of the least certain label to its threshold (0: on it, 1: certain), as the ranking's.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from annotator.errors import InputError
from annotator.io.streams import Chunk, StreamWriter, iter_text_chunks
from annotator.io.writers import WRITE_FORMATS
from annotator.services.label_mode import is_multi_label
from annotator.services.label_set_finals import EMPTY_SET_CELL
from annotator.services.model_export import build_model_folder
from annotator.services.settings import get_settings
from annotator.store import jobs as job_store
from annotator.store.project import Project
from annotator.store.trainset import count_pool, pool_page

CHUNK = 512
LABEL_SEPARATOR = "|"  # as exports join a set in a CSV cell
Progress = Callable[[float, str], None]


def output_format(out: str | os.PathLike, fmt: str | None) -> str:
    name = (fmt or Path(out).suffix.lstrip(".")).strip().lower()
    if name not in WRITE_FORMATS:
        raise InputError(f"{out}: cannot tell the output format; use .csv, .jsonl or .parquet or pass --format")
    return name


def columns(classes: list[str], top_k: int | None, pool: bool) -> list[str]:
    base = ["id"] + (["ext_id"] if pool else []) + ["text", "predicted", "confidence", "model_version"]
    if top_k:
        return base + [name for i in range(1, top_k + 1) for name in (f"top{i}_label", f"top{i}_score")]
    return base + [f"proba_{label}" for label in classes]


def rows_for(ids: list[Any], texts: list[str], proba: np.ndarray, classes: list[str], version: int,
             top_k: int | None, ext_ids: list[Any] | None = None) -> list[dict[str, Any]]:
    names = np.asarray(classes, dtype=object)
    best = proba.argmax(axis=1)
    order = np.argsort(-proba, axis=1, kind="stable")[:, :top_k] if top_k else None
    rows = []
    for i, text in enumerate(texts):
        row: dict[str, Any] = {"id": ids[i], "text": text, "predicted": names[best[i]],
                               "confidence": round(float(proba[i, best[i]]), 6), "model_version": version}
        if ext_ids is not None:
            row["ext_id"] = ext_ids[i]
        if order is not None:
            for rank, j in enumerate(order[i], start=1):
                row[f"top{rank}_label"] = names[j]
                row[f"top{rank}_score"] = round(float(proba[i, j]), 6)
        else:
            for j, label in enumerate(classes):
                row[f"proba_{label}"] = round(float(proba[i, j]), 6)
        rows.append(row)
    return rows


def set_predictions(rows: list[dict[str, Any]], classes: list[str], thresholds: np.ndarray, proba: np.ndarray,
                    *, joined: str | None) -> None:
    """Make ``rows`` (of :func:`rows_for`) a multi-label model's: ``predicted`` the set of labels whose
    probability reaches its threshold (names joined by ``joined`` when given, for CSV), ``confidence`` the
    least certain label's distance to its threshold."""
    from learner.multi_label_strategies import threshold_distances

    if not len(proba):
        return
    names = np.asarray(classes, dtype=object)
    chosen = np.asarray(proba, dtype=np.float64) >= thresholds
    distance = threshold_distances(proba, thresholds).min(axis=1)
    for row, decided, certainty in zip(rows, chosen, distance):
        labels = [str(name) for name in names[decided]]
        row["predicted"] = (joined.join(labels) or EMPTY_SET_CELL) if joined is not None else labels
        row["confidence"] = round(float(certainty), 6)


def _pool_chunks(project: Project, chunk_size: int) -> Iterator[tuple[list[int], list[str | None], list[str], float]]:
    total = max(count_pool(project.db), 1)
    after, done = 0, 0
    while True:
        page = pool_page(project.db, after, chunk_size)
        if not page:
            return
        after = page[-1][0]
        done += len(page)
        yield [r[0] for r in page], [r[1] for r in page], [r[2] for r in page], min(done / total, 1.0)


def predict(
    project: Project,
    out: str | os.PathLike,
    *,
    source: str | os.PathLike | None = None,
    fmt: str | None = None,
    source_format: str | None = None,
    text_column: str = "text",
    id_column: str | None = None,
    top_k: int | None = None,
    version: int | None = None,
    chunk_size: int = CHUNK,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Predict every text of ``source`` (a file) or, when None, of the unlabeled pool into ``out``.

    Returns ``{"rows", "version", "out", "seconds"}``. Nothing is written unless all rows succeed.
    """
    name = output_format(out, fmt)
    folder, chosen = build_model_folder(project, version)
    from annotator.services.training.models import device_of  # imports torch
    from learner.classifier import TransformerClassifier

    model = TransformerClassifier.load(folder, device=device_of(get_settings(project.db)))
    classes = [str(c) for c in model.classes_]
    multi = is_multi_label(project.db)
    if multi:
        from learner.export import read_label_thresholds

        thresholds = read_label_thresholds(folder, classes)
    clash = [label for label in classes if LABEL_SEPARATOR in label] if multi and name == "csv" else []
    if clash:
        raise InputError(f"the label {clash[0]!r} holds {LABEL_SEPARATOR!r}, which joins a set in CSV: "
                         "write .jsonl or .parquet")
    if top_k is not None and not 1 <= top_k <= len(classes):
        raise InputError(f"--top must be between 1 and {len(classes)} (the number of labels)")
    pool = source is None
    report = progress or (lambda value, message: None)
    started = time.perf_counter()
    chunks: Iterator = (_pool_chunks(project, chunk_size) if pool else
                        ((ids, None, texts, done) for ids, texts, done in
                         _file_chunks(source, source_format, text_column, id_column, chunk_size)))
    with StreamWriter(out, name, columns(classes, top_k, pool)) as writer:
        for ids, ext_ids, texts, done in chunks:
            proba = model.predict_proba(texts)
            rows = rows_for(ids, texts, proba, classes, chosen["version"], top_k, ext_ids)
            if multi:
                set_predictions(rows, classes, thresholds, proba, joined=LABEL_SEPARATOR if name == "csv" else None)
            writer.write(rows)
            report(done, f"{writer.rows:,} texts predicted")
    return {"rows": writer.rows, "version": chosen["version"], "out": str(out),
            "seconds": round(time.perf_counter() - started, 3)}


def _file_chunks(source, source_format, text_column, id_column, chunk_size) -> Iterator[Chunk]:
    yield from iter_text_chunks(source, source_format, text_column=text_column, id_column=id_column,
                                chunk_size=chunk_size)


# ------------------------------------------------------------- pool predictions as a worker job
JOB_KIND = "predict"
EXPORTS_DIRNAME = "exports"


def request_pool_predictions(project: Project, *, fmt: str, top_k: int | None, requested_by: str) -> int:
    """Queue predictions of the unlabeled pool for the worker (the Export page's button); the job id."""
    if fmt not in WRITE_FORMATS:
        raise InputError(f"unknown output format {fmt!r}: choose one of {', '.join(WRITE_FORMATS)}")
    return job_store.queue_job(project.db, JOB_KIND, {"fmt": fmt, "top_k": top_k, "requested_by": requested_by},
                               message=f"predictions of the unlabeled pool requested by {requested_by}")


def latest_pool_predictions(project: Project) -> dict[str, Any] | None:
    """The newest predictions job (queued, running, done or failed), with ``file`` once done."""
    job = job_store.latest_job(project.db, JOB_KIND)
    if job is not None and job["status"] == "done" and job["result"]:
        job["file"] = project.path / job["result"]["path"]
    return job


def run_predict_job(project: Project, job: dict[str, Any], progress: Progress | None = None) -> dict[str, Any]:
    """Do a claimed predictions job: write ``exports/predictions-vN-jobJ.FMT``; record the result."""
    params = job["params"]
    folder = project.path / EXPORTS_DIRNAME
    folder.mkdir(exist_ok=True)
    out = folder / f"predictions-job{job['id']}.{params['fmt']}"
    result = predict(project, out, fmt=params["fmt"], top_k=params.get("top_k"), progress=progress)
    summary = {"path": f"{EXPORTS_DIRNAME}/{out.name}", "rows": result["rows"], "version": result["version"]}
    job_store.set_result(project.db, job["id"], summary)
    return summary
