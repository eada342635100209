"""The one source of configuration: project settings, their defaults and checks; the registries.

Settings live in the project's ``settings`` table; anything not set there takes
the default below. :class:`Settings` is the typed, validated, frozen value the
code reads (``settings.batch_size``); :data:`SETTINGS` holds each one's
default, type, range and help, which the CLI, the Project page and the README
show. ``LABELLOOP_PROJECT`` names the project folder when ``--project`` is not
given. The query strategies are ``learner.strategies.STRATEGIES``.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotator.errors import InputError, ProjectError
from learner.strategies import STRATEGIES

PROJECT_ENV = "LABELLOOP_PROJECT"
DB_FILENAME = "project.db"
# A project whose tables live in PostgreSQL keeps this file instead of project.db: the server's URL and
# the project's schema there (annotator.store.project). LABELLOOP_DATABASE_URL: labelloop init's --database.
DATABASE_FILENAME = "database.json"
DATABASE_URL_ENV = "LABELLOOP_DATABASE_URL"
MODELS_DIRNAME = "models"
EMBEDDINGS_DIRNAME = "embeddings"

STRATEGY_NAMES = tuple(STRATEGIES)
# A new multi-label project's strategy: the mean distance of its labels to their thresholds. On
# GoEmotions (fast tier, 3 seeds) it had the best curve on the dev split, where margin_kmeans (the
# single-label default) stayed at random's level, and on test it reached random's 500-label micro-F1
# with 200 labels (docs/benchmarks.md, multi-label section).
MULTI_LABEL_STRATEGY = "least_confidence"
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
    "strategy": Setting("margin_kmeans", str, "query strategy that ranks the pool", choices=STRATEGY_NAMES),
    "cold_start": Setting("kmeans", str, "order of the queue before any model exists", choices=COLD_START_NAMES),
    "warm_start": Setting(True, bool, "fine-tune from the previous version instead of the base model"),
    "model": Setting("default", str, "base model: 'default' (all-MiniLM-L6-v2), a local folder or a hub name"),
    "max_length": Setting(128, int, "tokens per text; longer texts are truncated", 8, 4096),
    "epochs": Setting(3, int, "epochs per fine-tune", 1, 100),
    "finetune_min_steps": Setting(150, int, "optimizer steps per fine-tune at least (more epochs on few labels; "
                                  "0: epochs only)", 0, 100_000),
    "finetune_objective": Setting("mean_head", str, "what a fine-tune trains: 'mean_head' (the encoder with the "
                                  "fast tier's head on mean-pooled features, started from the head fitted on its "
                                  "embeddings) or 'classifier' (a fresh linear layer on the [CLS] pooler)",
                                  choices=("mean_head", "classifier")),
    "label_prior": Setting("auto", str, "the label names as one extra example per class in the fast tier's head: "
                           "'auto' (on with 10 or more labels), 'on' or 'off'", choices=("auto", "on", "off")),
    "device": Setting("auto", str, "'auto', 'cpu' or 'cuda'"),
    "overlap_fraction": Setting(0.0, float, "fraction of items labeled blind by several annotators", 0.0, 1.0),
    "overlap_k": Setting(2, int, "annotators per overlap item", 2, 20),
    "lease_seconds": Setting(600, int, "how long a served item stays reserved for its annotator", 5, 86_400),
    "read_pause_ms": Setting(250, int, "after a new text shows, the labeling keys and buttons do nothing for this "
                             "long (ms): a double press or double click never labels an unread text; 0: off",
                             0, 10_000),
    "max_text_chars": Setting(100_000, int, "characters a text may have: an import with a longer text is refused, "
                              "naming the row", 100, 10_000_000),
    "guidelines": Setting("", str, "labeling guidelines (markdown) shown to annotators"),
    "context_columns": Setting("", str, "other columns of the imported files shown beside each text on the Label "
                               "page, comma-separated (e.g. author,date,product)"),
    "none_of_these": Setting(False, bool, "multi-label projects: an annotator may submit an empty set "
                             "(none of the labels applies)"),
    "session_hours": Setting(12, int, "how long a sign-in lasts (hours): a reload or a new tab stays signed in "
                             "until then, or until sign-out, a new password, a role change or a deactivation", 1, 720),
    "seed": Setting(0, int, "random seed for cold start, training and strategies", 0, 2**31 - 1),
}


MAX_TEXT_SETTING_LENGTH = 100_000  # characters of a text setting (the guidelines are the longest)
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")
_BOOL_WORDS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def _as_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("a yes/no value is not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)  # 40.0 from a number box
    if isinstance(value, str) and _WHOLE_NUMBER.fullmatch(value.strip()):
        return int(value.strip())
    raise ValueError("not a whole number")


def _as_float(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("a yes/no value is not a number")
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        number = float(value.strip())
    else:
        raise ValueError("not a number")
    if not math.isfinite(number):
        raise ValueError("not a finite number")
    return number


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _BOOL_WORDS:
        return _BOOL_WORDS[value.strip().lower()]
    raise ValueError("not true or false")


def _as_str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("not a text")
    return value


_CONVERTERS = {int: (_as_int, "a whole number"), float: (_as_float, "a finite number"),
               bool: (_as_bool, "true or false"), str: (_as_str, "a text")}


def coerce_setting(key: str, value: Any) -> Any:
    """Validate and convert ``value`` for ``key`` (the page, the CLI and reading the store alike).

    Raise InputError with one line: an unknown key, a value of the wrong type
    ("2.5" or "1e23" for a whole number, "nan" or "inf" for any number), or
    one outside the setting's range or choices.
    """
    spec = SETTINGS.get(key)
    if spec is None:
        raise InputError(f"unknown setting {key!r}; known: {', '.join(sorted(SETTINGS))}")
    convert, kind = _CONVERTERS[spec.kind]
    try:
        value = convert(value)
    except (TypeError, ValueError, OverflowError):
        raise InputError(f"setting {key!r} must be {kind}, got {_shown(value)}") from None
    if isinstance(value, str) and len(value) > MAX_TEXT_SETTING_LENGTH:
        raise InputError(f"setting {key!r} must be at most {MAX_TEXT_SETTING_LENGTH:,} characters, got {len(value):,}")
    if spec.choices is not None and value not in spec.choices:
        raise InputError(f"setting {key!r} must be one of {', '.join(spec.choices)}, got {_shown(value)}")
    if spec.minimum is not None and value < spec.minimum:
        raise InputError(f"setting {key!r} must be at least {spec.minimum}, got {_shown(value)}")
    if spec.maximum is not None and value > spec.maximum:
        raise InputError(f"setting {key!r} must be at most {spec.maximum}, got {_shown(value)}")
    return value


def _shown(value: Any) -> str:
    """``value`` for a one-line message: its repr, cut to 60 characters."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def defaults() -> dict[str, Any]:
    return {key: spec.default for key, spec in SETTINGS.items()}


def _from_stored(cls, stored: Mapping[str, Any]) -> tuple[Any, dict[str, str]]:
    """(settings, problems) from stored values: each checked by :func:`coerce_setting`; a value
    that fails gives way to its default, with a one-line message in ``problems``; unknown keys
    (a setting a later version added) are ignored."""
    values, problems = defaults(), {}
    for key, value in stored.items():
        if key not in values:
            continue
        try:
            values[key] = coerce_setting(key, value)
        except InputError as error:
            problems[key] = (f"the stored value {_shown(value)} of setting {key!r} is invalid ({error}); "
                             f"using the default {values[key]!r} until it is set again")
    return cls(**values), problems


def _changed(self, **changes: Any):
    """A copy with ``changes``, each checked first (InputError on the first bad one)."""
    return dataclasses.replace(self, **{key: coerce_setting(key, value) for key, value in changes.items()})


def _as_dict(self) -> dict[str, Any]:
    return dataclasses.asdict(self)


Settings = dataclasses.make_dataclass(
    "Settings",
    [(key, spec.kind, dataclasses.field(default=spec.default)) for key, spec in SETTINGS.items()],
    frozen=True,
    namespace={"from_stored": classmethod(_from_stored), "changed": _changed, "as_dict": _as_dict,
               "__doc__": "A project's settings, typed and checked; one field per entry of SETTINGS."},
)
Settings.__module__ = __name__


def resolve_project_dir(project: str | os.PathLike | None) -> Path:
    """``--project`` if given, else ``$LABELLOOP_PROJECT``; raise ProjectError if neither."""
    value = project if project not in (None, "") else os.environ.get(PROJECT_ENV)
    if not value:
        raise ProjectError(f"no project folder: pass --project DIR or set {PROJECT_ENV}")
    return Path(value)
