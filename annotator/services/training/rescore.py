"""``labelloop score``: re-embed the whole pool with the current encoder, re-score it, publish.

The pool's forward pass runs on an engine of :mod:`.pool_engines` (this process, or a Ray Data
job) through :func:`.pool_scoring.embed_pool`; its cache replaces the encoder's
(``embeddings/enc_vN/``), and the version is published by the fast tier's path
(:func:`.refresh.refresh`: the head fitted on the fresh embeddings of the labeled texts, the pool
ranked by the strategy, the version and its scores published atomically), every row of it.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from annotator.errors import ProjectError
from annotator.services.projects import open_project
from annotator.services.training.embeddings import embeddings_path
from annotator.services.training.jobs import JobProgress
from annotator.services.training.lock import worker_lock
from annotator.services.training.models import load_models, model_dir, recover
from annotator.services.training.pool_engines import Engine, LocalEngine, base_encoder_spec, finetuned_spec
from annotator.services.training.pool_scoring import Progress, embed_pool
from annotator.services.training.refresh import refresh
from annotator.store import jobs as job_store
from annotator.store.pool_windows import pool_extent
from annotator.store.versions import append_scores, prune_scores
from learner.folders import replace_folder


@dataclass
class ScoreResult:
    version: int
    kind: str          # what was published: head (or coldstart before two labels)
    engine: str
    encoder_version: int
    n: int             # texts embedded
    embed_s: float
    total_s: float

    @property
    def texts_per_s(self) -> float:
        return self.n / self.embed_s if self.embed_s > 0 else 0.0


def score_project(project_dir: str | os.PathLike, engine: Engine | None = None,
                  progress: Progress | None = None) -> ScoreResult:
    """``labelloop score``: re-embed every text with the current encoder (``engine``: local by
    default), replace its embedding cache, and publish the ranking of the head fitted on it (every
    row, also at large pools). Holds the worker lock; an empty project is refused before anything
    is written."""
    engine = engine or LocalEngine()
    started = time.perf_counter()
    with worker_lock(project_dir), open_project(project_dir) as project:
        if pool_extent(project.db)[0] == 0:
            raise ProjectError("the project has no texts to score: import some first")
        recover(project)
        models = load_models(project)
        encoder = models.encoder_version
        spec = finetuned_spec(model_dir(project, encoder), models.settings) if encoder \
            else base_encoder_spec(models.settings)
        job = job_store.start_job(project.db, "score", f"labelloop score --engine {engine.name}")
        try:
            embedded = embed_pool(project, spec, engine, loaded=models.encoder,
                                  progress=JobProgress(project, job, also=progress))
            replace_folder(embedded.folder, embeddings_path(project.path, encoder))
            result = refresh(project, models)
            for chunk in (result.tail or ()) if result is not None else ():
                append_scores(project.db, result.version, chunk)
            prune_scores(project.db)
        except BaseException as error:
            job_store.fail_job(project.db, job, f"{type(error).__name__}: {error}")
            raise
        job_store.finish_job(project.db, job, f"published v{result.version} ({result.kind}, {engine.name} engine)")
        return ScoreResult(result.version, result.kind, engine.name, encoder, len(embedded.ids), embedded.seconds,
                           time.perf_counter() - started)
