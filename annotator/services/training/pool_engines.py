"""Engines that run one encoder over every text of the pool: in this process, or as a Ray job.

An engine turns a :class:`PoolJob` (the database file, the id windows to read, the encoder, whether
class probabilities are wanted too) into :class:`PoolBatch`es in ascending id order; what is done
with them (the embedding cache, a ranking) is the caller's (:mod:`.pool_scoring`). ``local`` runs
in the calling process; ``ray`` (:mod:`.ray_engine`) runs the same encoder on a Ray cluster's
actors. Both load the encoder with :func:`load_encoder` and run it with :func:`encode`, so they
differ only in where the work happens.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from annotator.config import Settings
from annotator.errors import LabelloopError
from annotator.services.training.models import device_of
from annotator.store.pool_windows import read_window
from learner.classifier import TransformerClassifier
from learner.models import resolve_model

ENGINES = ("local", "ray")
WINDOW = 512  # texts per read and per forward-pass call (the fine-tune's scoring chunk before engines)


class ScoringEngineError(LabelloopError):
    """The scoring engine cannot run (Ray missing, its cluster unreachable); nothing was changed."""


@dataclass(frozen=True)
class EncoderSpec:
    """The encoder to run: a transformers folder (or a hub name), and whether it is a saved fine-tuned
    classifier (embeddings and probabilities) or a base encoder (embeddings only)."""

    source: str
    fitted: bool
    max_length: int
    device: str | None = None


@dataclass(frozen=True)
class PoolJob:
    location: str  # the database: a SQLite file's path or postgresql://...#schema= (Project.location)
    windows: list[tuple[int, int]]
    encoder: EncoderSpec
    want_proba: bool
    total: int
    loaded: Any = None  # the encoder already in memory, for an engine in this process (else loaded from source)


@dataclass
class PoolBatch:
    ids: np.ndarray            # int64, ascending, following the previous batch's
    vectors: np.ndarray        # float32, one L2-normalised row per id
    proba: np.ndarray | None   # class probabilities (fitted encoders, when wanted)


class Engine(Protocol):
    name: str

    def batches(self, job: PoolJob) -> Iterator[PoolBatch]: ...


def base_encoder_spec(settings: Settings) -> EncoderSpec:
    """The base model of the ``model`` setting (encoder version 0)."""
    return EncoderSpec(resolve_model(settings.model), False, settings.max_length, device_of(settings))


def finetuned_spec(folder, settings: Settings) -> EncoderSpec:
    """A fine-tuned version's saved classifier (``models/vN`` or a pending folder)."""
    return EncoderSpec(str(folder), True, settings.max_length, device_of(settings))


def load_encoder(spec: EncoderSpec, source: str | None = None, threads: int | None = None) -> TransformerClassifier:
    """The classifier that embeds for ``spec``; ``source`` overrides where its files are (a copy)."""
    where = source or spec.source
    if spec.fitted:
        clf = TransformerClassifier.load(where, device=spec.device)
    else:
        clf = TransformerClassifier(model=where, max_length=spec.max_length, device=spec.device)
    clf.num_threads = threads
    return clf


def encode(clf: TransformerClassifier, texts: list[str], want_proba: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """(vectors float32, probabilities or None) of ``texts``: one forward pass."""
    if want_proba:
        proba, vectors = clf.predict_proba_and_embed(texts)
        return np.asarray(vectors, dtype=np.float32), proba
    return np.asarray(clf.embed(texts), dtype=np.float32), None


class LocalEngine:
    """The encoder in this process, one window at a time."""

    name = "local"

    def batches(self, job: PoolJob) -> Iterator[PoolBatch]:
        clf = job.loaded if job.loaded is not None else load_encoder(job.encoder)
        for after, last in job.windows:
            ids, texts = read_window(job.location, after, last)
            vectors, proba = encode(clf, texts, job.want_proba and job.encoder.fitted)
            yield PoolBatch(ids, vectors, proba)


def open_engine(name: str, ray_address: str | None = None) -> Engine:
    """The engine called ``name``; ``ray`` connects to its cluster now, so a bad address fails here
    (ScoringEngineError), before anything is read or written."""
    if name == "local":
        if ray_address:
            raise ScoringEngineError("--ray-address is for the ray engine; the local one runs in this process")
        return LocalEngine()
    if name == "ray":
        from annotator.services.training.ray_engine import RayEngine

        return RayEngine(ray_address)
    raise ScoringEngineError(f"unknown scoring engine {name!r}; choose one of {', '.join(ENGINES)}")
