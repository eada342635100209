"""The one source of configuration: project settings, their defaults and checks.

Settings live in the project's ``settings`` table; anything not set there takes
the default below. ``LABELLOOP_PROJECT`` names the project folder when
``--project`` is not given.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotator.errors import InputError, ProjectError

PROJECT_ENV = "LABELLOOP_PROJECT"
DB_FILENAME = "project.db"
MODELS_DIRNAME = "models"
EMBEDDINGS_DIRNAME = "embeddings"

STRATEGY_NAMES = ("margin", "entropy", "least_confidence", "diverse", "random")
COLD_START_NAMES = ("kmeans", "random")


@dataclass(frozen=True)
class Setting:
    default: Any
    kind: type
    help: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] | None = None


SETTINGS: dict[str, Setting] = {
    "batch_size": Setting(25, int, "new labels between fast-tier ranking refreshes", 1, 10_000),
    "finetune_every": Setting(100, int, "new training labels (the evaluation set never counts) between BERT fine-tunes",
                              1, 1_000_000),
    "finetune_min_per_class": Setting(8, int, "no fine-tune until at least two labels each have this many training "
                                      "labels (the evaluation set never counts)", 1, 100_000),
    "strategy": Setting("margin", str, "query strategy that ranks the pool", choices=STRATEGY_NAMES),
    "cold_start": Setting("kmeans", str, "order of the queue before any model exists", choices=COLD_START_NAMES),
    "warm_start": Setting(True, bool, "fine-tune from the previous version instead of the base model"),
    "model": Setting("default", str, "base model: 'default' (all-MiniLM-L6-v2), a local folder or a hub name"),
    "max_length": Setting(128, int, "tokens per text; longer texts are truncated", 8, 4096),
    "epochs": Setting(3, int, "epochs per fine-tune", 1, 100),
    "device": Setting("auto", str, "'auto', 'cpu' or 'cuda'"),
    "overlap_fraction": Setting(0.0, float, "fraction of items labeled blind by several annotators", 0.0, 1.0),
    "overlap_k": Setting(2, int, "annotators per overlap item", 2, 20),
    "lease_seconds": Setting(600, int, "how long a served item stays reserved for its annotator", 5, 86_400),
    "read_pause_ms": Setting(250, int, "after a new text shows, the labeling keys and buttons do nothing for this "
                             "long (ms): a double press or double click never labels an unread text; 0: off",
                             0, 10_000),
    "guidelines": Setting("", str, "labeling guidelines (markdown) shown to annotators"),
    "seed": Setting(0, int, "random seed for cold start, training and strategies"),
}


def coerce_setting(key: str, value: Any) -> Any:
    """Validate and convert ``value`` for ``key``; raise InputError with one line."""
    spec = SETTINGS.get(key)
    if spec is None:
        raise InputError(f"unknown setting {key!r}; known: {', '.join(sorted(SETTINGS))}")
    try:
        if spec.kind is bool:
            if isinstance(value, str):
                lowered = value.strip().lower()
                if lowered not in {"true", "false", "1", "0", "yes", "no"}:
                    raise ValueError(value)
                value = lowered in {"true", "1", "yes"}
            else:
                value = bool(value)
        else:
            value = spec.kind(value)
    except (TypeError, ValueError):
        raise InputError(f"setting {key!r} must be {spec.kind.__name__}, got {value!r}") from None
    if spec.choices is not None and value not in spec.choices:
        raise InputError(f"setting {key!r} must be one of {', '.join(spec.choices)}, got {value!r}")
    if spec.minimum is not None and value < spec.minimum:
        raise InputError(f"setting {key!r} must be >= {spec.minimum}, got {value!r}")
    if spec.maximum is not None and value > spec.maximum:
        raise InputError(f"setting {key!r} must be <= {spec.maximum}, got {value!r}")
    return value


def defaults() -> dict[str, Any]:
    return {key: spec.default for key, spec in SETTINGS.items()}


def resolve_project_dir(project: str | os.PathLike | None) -> Path:
    """``--project`` if given, else ``$LABELLOOP_PROJECT``; raise ProjectError if neither."""
    value = project if project not in (None, "") else os.environ.get(PROJECT_ENV)
    if not value:
        raise ProjectError(f"no project folder: pass --project DIR or set {PROJECT_ENV}")
    return Path(value)
