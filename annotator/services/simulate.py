"""A simulated annotator: measures the active-learning loop with gold labels.

It answers the queue exactly as a person in the UI would (``queue.next_item``
-> ``queue.save_label``) and, after every batch, runs the worker's fast refresh
and, every ``finetune_every`` labels, a fine-tune, synchronously; then it
evaluates the current model on a held-out test file. The result is the
learning curve written by ``labelloop simulate --json``.

Gold files with a ``labels`` column of lists (and no ``label`` column) run a multi-label project:
the annotator saves each text's gold set (``queue.save_label_set``), the fast tier fits the
one-vs-rest head, a fine-tune learns the sets (:mod:`annotator.services.training.label_set_finetune`),
and each point carries ``micro_f1``, ``macro_f1``, ``subset_accuracy`` and ``hamming_loss`` (``accuracy``
is the subset accuracy) of the version's predictor, the head with its per-label thresholds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from annotator.errors import InputError
from annotator.io.readers import read_records
from annotator.services import queue
from annotator.services.imports import import_file
from annotator.services.label_mode import is_multi_label, mode_name
from annotator.services.labelset import get_labels
from annotator.services.projects import create_project, is_project, open_project
from annotator.services.settings import set_settings
from annotator.services.training.finetune import NotEnoughLabels, finetune
from annotator.services.training.lock import worker_lock
from annotator.services.training.models import load_models, recover
from annotator.services.training.refresh import refresh
from annotator.store.examples import count_examples, text_hash
from learner.metrics import evaluate
from learner.multi_label_metrics import evaluate_sets

SIMULATED_ANNOTATOR = "simulator"

log = logging.getLogger("labelloop.simulate")


def gold_label_column(path: str | Path) -> str:
    """``labels`` for a multi-label gold file (a ``labels`` column and no ``label`` column), else ``label``."""
    columns = read_records(path).columns
    return "labels" if "labels" in columns and "label" not in columns else "label"


def read_gold(path: str | Path, text_column: str = "text",
              label_column: str = "label") -> list[tuple[str, str | tuple[str, ...]]]:
    """(text, label) rows of a gold file, a label being a tuple of names when the cell is a list;
    a missing column or empty label is an InputError."""
    records = read_records(path)
    for column in (text_column, label_column):
        if column not in records.columns:
            raise InputError(f"{path}: no {column!r} column (columns: {', '.join(records.columns)})")
    rows = []
    for i, row in enumerate(records.rows):
        text, label = row.get(text_column), row.get(label_column)
        if text in (None, "") or label in (None, ""):
            raise records.error(i, "empty text or label")
        rows.append((str(text), tuple(str(name) for name in label) if isinstance(label, list) else str(label)))
    return rows


def _names(label: str | tuple[str, ...]) -> tuple[str, ...]:
    return label if isinstance(label, tuple) else (label,)


def _auc(curve: list[dict[str, Any]]) -> float:
    return float(np.mean([point["accuracy"] for point in curve])) if curve else 0.0


def simulate(
    project_dir: str | Path,
    gold: str | Path,
    test: str | Path,
    *,
    budget: int,
    batch: int,
    strategy: str,
    seed: int,
    finetune_every: int | None = None,
    model: str | None = None,
    on_point: Callable[[dict[str, Any]], None] | None = None,
    test_vectors: np.ndarray | None = None,
) -> dict[str, Any]:
    """Run the simulation; return ``{strategy, seed, curve, auc, total_s}``.

    A missing project is created with the gold file's labels (sorted); an
    empty pool is filled with the gold file's texts (without labels).
    ``finetune_every``: None = the project's setting, 0 = never fine-tune.
    ``test_vectors``: the test texts already embedded by the base encoder (a benchmark running
    many simulations embeds them once), used while no fine-tuned encoder exists.
    """
    if budget < 1 or batch < 1:
        raise InputError("--budget and --batch must be at least 1")
    started = time.perf_counter()
    column = gold_label_column(gold)
    multi = column == "labels"
    gold_rows = read_gold(gold, label_column=column)
    test_rows = read_gold(test, label_column=column)
    folder = Path(project_dir)
    if not is_project(folder):
        create_project(folder, sorted({name for _, label in gold_rows for name in _names(label)}),
                       multi_label=multi).close()
    project = open_project(folder)
    try:
        if multi != is_multi_label(project.db):
            raise InputError(f"{gold}: a {'multi' if multi else 'single'}-label gold file for a "
                             f"{mode_name(project.db)} project")
        unknown = sorted({name for _, label in gold_rows + test_rows for name in _names(label)}
                         - set(get_labels(project.db)))
        if unknown:
            raise InputError(f"labels not in the project's label set: {', '.join(unknown[:5])}")
        if count_examples(project.db) == 0:
            import_file(project, gold)
        changes: dict[str, Any] = {"strategy": strategy, "seed": seed, "batch_size": batch}
        if multi:
            changes["none_of_these"] = True  # a gold set may be empty
        if finetune_every:
            changes["finetune_every"] = finetune_every
        if model:
            changes["model"] = model
        settings = set_settings(project.db, **changes)
        every = settings.finetune_every if finetune_every is None else finetune_every
        answers = {text_hash(text): label for text, label in gold_rows}
        with worker_lock(folder):
            recover(project)
            models = load_models(project)
            refresh(project, models)
            evaluator = _TestEvaluator([t for t, _ in test_rows], [label for _, label in test_rows], models.classes)
            if test_vectors is not None:
                if len(test_vectors) != len(test_rows):
                    raise InputError(f"{len(test_vectors)} test vectors for {len(test_rows)} test rows")
                evaluator.base_vectors = np.asarray(test_vectors)
            curve: list[dict[str, Any]] = []
            labeled, since_finetune, head, version = 0, 0, None, None
            while labeled < budget:
                answered = 0
                for _ in range(min(batch, budget - labeled)):
                    item = queue.next_item(project, SIMULATED_ANNOTATOR)
                    if item is None:
                        break
                    label = answers.get(text_hash(item.text))
                    if label is None:
                        raise InputError(f"pool text not in the gold file: {item.text[:60]!r}")
                    if multi:
                        queue.save_label_set(project, SIMULATED_ANNOTATOR, item.example_id, list(label))
                    else:
                        queue.save_label(project, SIMULATED_ANNOTATOR, item.example_id, label)
                    answered += 1
                if answered == 0:
                    break
                labeled += answered
                since_finetune += answered
                tick = time.perf_counter()
                result = refresh(project, models)
                refresh_s = time.perf_counter() - tick  # last label -> re-ranked queue published
                if result is not None:
                    head, version = result.head, result.version
                finetune_s = None
                proba = None
                classifier_scores = None
                tuned = None
                if every and since_finetune >= every:
                    tick = time.perf_counter()
                    try:
                        tuned = finetune(project, models)
                    except NotEnoughLabels as reason:  # the worker's rule: wait for more labels
                        log.info("no fine-tune yet: %s", reason)
                    finetune_s = time.perf_counter() - tick
                if tuned is not None:
                    since_finetune, version, head = 0, tuned.version, tuned.head
                    # the version's predictor: the head refit on the fine-tuned encoder's embeddings
                    proba = evaluator.head_proba(head, models)
                    classifier_scores = evaluator.classifier_scores(tuned.classifier)
                    log.info("fine-tuned classifier's own outputs: accuracy %.4f", classifier_scores["accuracy"])
                elif head is not None:
                    proba = evaluator.head_proba(head, models)
                scores = evaluator.score(proba, head if multi else None)
                point = {"labels": labeled, **scores, "model_version": version,
                         "refresh_s": round(refresh_s, 3),
                         "finetune_s": None if finetune_s is None or tuned is None else round(finetune_s, 3)}
                if classifier_scores is not None:  # the fine-tune's own classifier (not the exported model)
                    point["classifier_accuracy"] = classifier_scores["accuracy"]
                    point.update({f"classifier_{key}": classifier_scores[key]
                                  for key in ("micro_f1", "macro_f1") if key in classifier_scores})
                curve.append(point)
                log.info("%s", point)
                if on_point is not None:
                    on_point(point)
    finally:
        project.close()
    return {"strategy": strategy, "seed": seed, "curve": curve, "auc": _auc(curve),
            "total_s": round(time.perf_counter() - started, 3)}


class _TestEvaluator:
    """Accuracy and macro-F1 of the current model on the test texts (embeddings cached per encoder)."""

    def __init__(self, texts: list[str], labels: list[str], classes: list[str]):
        self.texts, self.labels, self.classes = texts, labels, classes
        self._embedded: tuple[int, np.ndarray] | None = None
        self.base_vectors: np.ndarray | None = None  # the texts by the base encoder, when given

    def head_proba(self, head, models) -> np.ndarray:
        if models.encoder_version == 0 and self.base_vectors is not None:
            return head.predict_proba(self.base_vectors)
        if self._embedded is None or self._embedded[0] != models.encoder_version:
            self._embedded = (models.encoder_version, models.encoder.embed(self.texts))
        return head.predict_proba(self._embedded[1])

    def classifier_scores(self, classifier) -> dict[str, float]:
        """The fine-tuned network's own figures: its softmax's most probable class, or for label sets
        each label's sigmoid decided at 0.5 (``classifier.predict``)."""
        if classifier.multi_label_:
            return self._set_scores(classifier.predict(self.texts))
        return self.score(classifier.predict_proba(self.texts))

    def _set_scores(self, decided: np.ndarray) -> dict[str, float]:
        result = evaluate_sets([list(names) for names in self.labels], decided, self.classes)
        figures = {key: round(float(result[key]), 4)
                   for key in ("micro_f1", "macro_f1", "subset_accuracy", "hamming_loss")}
        return {"accuracy": figures["subset_accuracy"], **figures}

    def score(self, proba: np.ndarray | None, multi_label_head=None) -> dict[str, float]:
        """Accuracy and macro-F1 of ``proba``; with ``multi_label_head`` (whose thresholds decide each
        label) the multi-label figures, ``accuracy`` being the subset accuracy."""
        if multi_label_head is not None and proba is not None:
            return self._set_scores(multi_label_head.decide(proba))
        if proba is None:  # no model yet (one class labeled so far)
            return {"accuracy": 0.0, "macro_f1": 0.0}
        names = np.asarray(self.classes, dtype=object)
        result = evaluate(self.labels, list(names[proba.argmax(axis=1)]), self.classes)
        return {"accuracy": float(result["accuracy"]), "macro_f1": float(result["macro_f1"])}
