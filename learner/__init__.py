"""Labelloop's machine learning: classifier, embeddings, query strategies,
training and metrics.  Knows nothing of SQLite or Streamlit.

``import learner`` is light: names are imported on first use, and only the
torch-backed ones (``TransformerClassifier``, the device
helpers) import torch.  ``learner.strategies``, ``learner.metrics``,
``learner.coldstart`` and ``learner.head`` never import torch, so the UI can
use them freely.
"""

from __future__ import annotations

import importlib

from .errors import (  # noqa: F401 - the package's named errors, re-exported
    InputError,
    LearnerError,
    ModelLoadError,
    TrainingCancelled,
    UnknownLabelError,
    UnknownStrategyError,
)

_LAZY = {
    "TransformerClassifier": "classifier",
    "EmbeddingHead": "head",
    "STRATEGIES": "strategies",
    "get_strategy": "strategies",
    "uncertainty_scores": "strategies",
    "cold_start_order": "coldstart",
    "evaluate": "metrics",
    "default_model_path": "models",
    "resolve_model": "models",
    "resolve_device": "devices",
}

__all__ = sorted(
    list(_LAZY)
    + ["InputError", "LearnerError", "ModelLoadError", "TrainingCancelled", "UnknownLabelError", "UnknownStrategyError"]
)


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'learner' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
