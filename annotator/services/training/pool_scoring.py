"""The pool's forward pass with any engine, written as an embedding cache in id order.

:func:`embed_pool` runs an encoder over every text up to an id with an engine of
:mod:`.pool_engines` (in this process, or a Ray job) and writes the vectors, as they arrive in
id order, into a temporary embedding-cache folder (``ids.npy`` + ``vectors.npy``, the format of
:mod:`.embeddings`) that the caller renames into place when it publishes. A fine-tune's publish
uses it for its new encoder (:mod:`.finetune`), ``labelloop score`` for the current one
(:mod:`.rescore`).
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from annotator.services.training.embeddings import IDS_FILE, TMP_PREFIX, VECTORS_FILE
from annotator.services.training.pool_engines import (
    WINDOW,
    EncoderSpec,
    Engine,
    LocalEngine,
    PoolJob,
)
from annotator.store.pool_windows import id_windows, pool_extent
from annotator.store.project import Project
from learner.errors import TrainingCancelled

Progress = Callable[[float, str], None]


@dataclass
class EmbeddedPool:
    """Every example up to an id: ``vectors`` memory-mapped from ``folder`` (a temporary cache folder
    the caller renames into place, or deletes); ``proba`` when asked of a fitted encoder."""

    ids: np.ndarray
    vectors: np.ndarray
    proba: np.ndarray | None
    folder: Path
    seconds: float


def _fsync(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def embed_pool(project: Project, spec: EncoderSpec, engine: Engine | None = None, *, want_proba: bool = False,
               last_id: int | None = None, loaded: Any = None, progress: Progress | None = None,
               should_stop: Callable[[], bool] | None = None) -> EmbeddedPool:
    """Run ``spec``'s encoder over the examples up to ``last_id`` (all by default) with ``engine``
    (local by default; ``loaded``: that encoder already in memory, for the local engine).

    Raises TrainingCancelled when ``should_stop`` says so between batches (the folder is removed)."""
    engine = engine or LocalEngine()
    count, largest = pool_extent(project.db, last_id)
    job = PoolJob(project.location, id_windows(project.db, WINDOW, largest), spec, want_proba, count,
                  loaded)
    folder = project.embeddings_dir / f"{TMP_PREFIX}{uuid.uuid4().hex[:8]}"
    folder.mkdir(parents=True)
    started = time.perf_counter()
    try:
        ids, vectors, probas, done = np.empty(count, dtype=np.int64), None, [], 0
        for batch in engine.batches(job):
            n = len(batch.ids)
            if done + n > count or np.any(np.diff(batch.ids) <= 0) or (n and done and batch.ids[0] <= ids[done - 1]):
                raise RuntimeError(f"the {engine.name} engine returned the pool out of id order")
            if vectors is None:
                vectors = np.lib.format.open_memmap(folder / VECTORS_FILE, mode="w+", dtype=np.float32,
                                                    shape=(count, batch.vectors.shape[1]))
            vectors[done:done + n] = batch.vectors
            ids[done:done + n] = batch.ids
            if batch.proba is not None:
                probas.append(batch.proba)
            done += n
            if progress is not None:
                progress(done / max(count, 1), f"embedding the pool ({engine.name})")
            if should_stop is not None and should_stop():
                raise TrainingCancelled(done, count)
        if done != count:
            raise RuntimeError(f"the {engine.name} engine returned {done} of {count} texts")
        if vectors is None:
            vectors = np.lib.format.open_memmap(folder / VECTORS_FILE, mode="w+", dtype=np.float32, shape=(0, 1))
        vectors.flush()
        del vectors
        _fsync(folder / VECTORS_FILE)
        np.save(folder / IDS_FILE, ids)
        _fsync(folder / IDS_FILE)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    proba = np.concatenate(probas) if probas else None
    return EmbeddedPool(ids, np.load(folder / VECTORS_FILE, mmap_mode="r"), proba, folder,
                        time.perf_counter() - started)
