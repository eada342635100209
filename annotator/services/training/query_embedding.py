"""Embedding a typed search query, and the pool when its embeddings are missing (imports torch).

A typed semantic search compares the query's vector with the pool's cached vectors, so both must
come from the same encoder: the current model version's (0 = the base model, N = the fine-tuned
version N's folder). Two callers, so that torch never enters the labeling app:

* the command line (:func:`embed_query`): loads that encoder once per process and embeds the query
  (about 2 s to load MiniLM on a CPU, then milliseconds per query);
* the worker (:func:`answer_query_jobs`): answers ``embed_query`` jobs queued by the Explore page
  with the encoder it already holds, between two steps of its loop (milliseconds; no second model
  in memory).

:func:`ensure_pool_embeddings` embeds a pool the worker has not embedded yet (the command line,
with a progress bar), into the same cache the worker uses.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

from annotator.services.labelset import get_labels
from annotator.services.search import QUERY_JOB, encoder_version
from annotator.services.settings import get_settings
from annotator.services.training.models import LoopModels, device_of, model_dir, new_classifier
from annotator.store import jobs as job_store
from annotator.store.project import Project
from annotator.store.trainset import pool
from learner.classifier import TransformerClassifier

log = logging.getLogger("labelloop.worker")
MAX_JOBS_PER_STEP = 20


_LOADED: dict[tuple, TransformerClassifier] = {}  # the last encoder loaded by this process


def encoder_for(project: Project, version: int | None = None) -> tuple[int, TransformerClassifier]:
    """``(version, encoder)``: the current model's encoder, loaded once per process."""
    version = encoder_version(project) if version is None else int(version)
    settings = get_settings(project.db)
    device = device_of(settings)
    key = (str(project.path), version, settings.model, settings.max_length, device)
    if key not in _LOADED:
        _LOADED.clear()
        _LOADED[key] = (new_classifier(settings, get_labels(project.db)) if version == 0
                        else TransformerClassifier.load(model_dir(project, version), device=device))
    return version, _LOADED[key]


def embed_query(project: Project, text: str) -> tuple[int, np.ndarray]:
    """``(encoder_version, vector)`` of ``text`` by the current model's encoder (L2-normalised)."""
    version, encoder = encoder_for(project)
    return version, encoder.embed([text])[0]


def ensure_pool_embeddings(project: Project, progress: Callable[[float, str], None] | None = None) -> int:
    """Embed the texts of the pool the cache of the current encoder lacks; the encoder version."""
    version, encoder = encoder_for(project)
    models = LoopModels(project.path, get_settings(project.db), get_labels(project.db), encoder, version)
    ids, texts, _ = pool(project.db)
    if ids:
        models.pool_embeddings(ids, texts, progress)
    return version


def answer_query_jobs(project: Project, models: LoopModels, limit: int = MAX_JOBS_PER_STEP) -> int:
    """Embed the queries the Explore page queued with the worker's encoder; how many were answered."""
    answered = 0
    while answered < limit:
        job = job_store.claim_queued_job(project.db, QUERY_JOB)
        if job is None:
            break
        try:
            with models.lock:
                version, encoder = models.encoder_version, models.encoder
            vector = encoder.embed([str(job["params"]["text"])])[0]
        except Exception as error:  # noqa: BLE001 - recorded for the page; the loop goes on
            job_store.fail_job(project.db, job["id"], f"{type(error).__name__}: {error}")
            log.error("query embedding failed: %s: %s", type(error).__name__, error)
        else:
            job_store.set_result(project.db, job["id"], {"encoder_version": int(version),
                                                         "vector": [float(x) for x in vector]})
            job_store.finish_job(project.db, job["id"], "embedded")
        answered += 1
    return answered
