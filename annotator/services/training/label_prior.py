"""The label-name prior of the head: each label's name, embedded, as one extra example of it.

With the ``label_prior`` setting on (or on ``auto`` with at least ``AUTO_MIN_LABELS`` labels) the
head of every refresh and of a fine-tune's refit gets a ``(k, d)`` prior, one row per label in the
project's label order: the embedding of the label's name (``card_arrival`` -> "card arrival") by
the encoder whose embeddings the head is fitted on. What the prior does to a fit, and what it was
measured to do: :mod:`learner.head`; the setting's choice: docs/benchmarks.md.

The embeddings are cached per encoder object (each encoder version is a new object) and label
set, so a refresh embeds the names once per encoder, not once per batch.
"""

from __future__ import annotations

import threading
import weakref

import numpy as np

from annotator.config import Settings
from annotator.services.training.models import LoopModels

AUTO_MIN_LABELS = 10

_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_cache_lock = threading.Lock()


def prior_enabled(settings: Settings, classes: list[str]) -> bool:
    """Whether the head gets the prior: ``label_prior`` 'on', or 'auto' with AUTO_MIN_LABELS labels or more."""
    return settings.label_prior == "on" or (settings.label_prior == "auto" and len(classes) >= AUTO_MIN_LABELS)


def name_text(label: str) -> str:
    """The text embedded for a label: underscores as spaces, lower case."""
    return label.replace("_", " ").lower()


def prior_of(encoder, classes: list[str], settings: Settings) -> np.ndarray | None:
    """The prior for a head over ``classes`` fitted on ``encoder``'s embeddings (anything with
    ``embed(texts) -> (n, d)``, such as a TransformerClassifier), or None when the setting is off."""
    if not prior_enabled(settings, classes) or not classes:
        return None
    key = tuple(str(c) for c in classes)
    with _cache_lock:
        found = _cache.get(encoder, {}).get(key)
    if found is None:
        found = np.asarray(encoder.embed([name_text(c) for c in key]), dtype=np.float64)
        found.setflags(write=False)
        with _cache_lock:
            _cache.setdefault(encoder, {})[key] = found
    return found


def prior_for(models: LoopModels, classes: list[str], settings: Settings) -> np.ndarray | None:
    """:func:`prior_of` the encoder that embeds the pool now (the fast tier's refresh)."""
    return prior_of(models.encoder, classes, settings)
