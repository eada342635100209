"""Measure the exported model itself: build a version's artifact, load it, score the evaluation set.

``stats["model"]["exported"]`` must be the figures of exactly what
``labelloop export --model`` writes, so they are obtained by loading the built
folder (:func:`annotator.services.model_export.build_model_folder`) as a classifier and
running it on the labeled evaluation items, never copied from the worker's
in-memory head. Imports torch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from annotator.services.model_export import build_model_folder, exported_summary, record_exported
from annotator.services.settings import get_settings
from annotator.services.training.models import device_of
from annotator.store.project import Project
from annotator.store.trainset import eval_labels
from annotator.store.versions import get_version
from learner.classifier import TransformerClassifier
from learner.metrics import evaluate


def measure_exported(project: Project, version: int | None = None) -> dict[str, Any]:
    """Build (or reuse) the artifact of ``version`` (default: the current model), score it on
    the evaluation set, store the figures in the version's metrics and return the summary."""
    folder, chosen = build_model_folder(project, version)
    evals = eval_labels(project.db)
    figures: dict[str, Any] = {"accuracy": None, "macro_f1": None, "n_eval": 0}
    if evals:
        model = TransformerClassifier.load(folder, device=device_of(get_settings(project.db)))
        proba = model.predict_proba([text for _, text, _ in evals])
        predicted = list(np.asarray(model.classes_, dtype=object)[proba.argmax(axis=1)])
        result = evaluate([label for _, _, label in evals], predicted, [str(c) for c in model.classes_])
        figures = {"accuracy": float(result["accuracy"]), "macro_f1": float(result["macro_f1"]),
                   "n_eval": len(evals)}
    record_exported(project, chosen["version"], figures)
    return exported_summary(get_version(project.db, chosen["version"]))
