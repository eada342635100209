"""Queue refresh after a labeling batch (the fast tier) at a given pool size.

A real project with ``pool`` synthetic texts whose embedding cache is filled
with random unit vectors (so no encoder runs: the figure is the refresh, not
the one-off embedding). Labels are saved through ``annotator.services.queue`` as an
annotator would; then, for each of ``rounds`` batches of ``batch`` labels, the
worker's own :func:`annotator.services.training.refresh.refresh` is timed from the
batch's last label to the published ranking. One more batch is then broken
down into its steps with the same library calls, timed one by one: read the
embedding cache, fit the head, predict the pool, rank it with the strategy,
publish.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import now
from benchmarks.synthetic import random_embeddings, write_synthetic_file

REFRESH_LABELS = ["alpha", "beta", "gamma", "delta"]
ANNOTATOR = "bench"


def _label_batch(project, n: int, rng: np.random.Generator) -> int:
    from annotator.services import queue

    saved = 0
    for _ in range(n):
        item = queue.next_item(project, ANNOTATOR)
        if item is None:
            break
        queue.save_label(project, ANNOTATOR, item.example_id, REFRESH_LABELS[int(rng.integers(4))])
        saved += 1
    return saved


def measure_refresh(pool: int, workdir: Path, *, strategy: str = "margin", batch: int = 25,
                    warm_labels: int = 200, rounds: int = 3, seed: int = 0) -> dict[str, Any]:
    from annotator.services.imports import import_file
    from annotator.services.projects import create_project
    from annotator.services.settings import set_settings
    from annotator.services.training.embeddings import ensure_embeddings, save_embeddings
    from annotator.services.training.models import load_models
    from annotator.services.training.refresh import refresh, take_snapshot
    from annotator.services.training.scoring import done_ids, rank_pool
    from annotator.store.trainset import pool as pool_rows
    from annotator.store.trainset import training_labels
    from annotator.store.versions import publish_version
    from learner.head import EmbeddingHead

    folder = Path(tempfile.mkdtemp(prefix=f"refresh{pool}-", dir=workdir))
    rng = np.random.default_rng(seed)
    try:
        data = write_synthetic_file(folder / "pool.csv", pool, seed=seed)
        with create_project(folder / "project", REFRESH_LABELS) as project:
            import_file(project, data, id_column="id")
            set_settings(project.db, strategy=strategy, batch_size=batch, seed=seed)
            ids, texts, _ = pool_rows(project.db)
            save_embeddings(project.path, 0, ids, random_embeddings(len(ids), 384, seed))
            models = load_models(project)
            refresh(project, models)  # cold start ranking over the cached embeddings
            _label_batch(project, warm_labels, rng)
            refresh(project, models)
            timings = []
            for _ in range(rounds):
                _label_batch(project, batch, rng)
                started = now()
                refresh(project, models)
                timings.append(now() - started)
            # One more batch, step by step with the same calls the refresh makes.
            _label_batch(project, batch, rng)
            steps: dict[str, float] = {}
            t = now()
            snap = take_snapshot(project)
            steps["snapshot_s"] = now() - t
            t = now()
            X = ensure_embeddings(project.path, 0, snap.ids, snap.texts, lambda batch_texts: None)
            steps["embeddings_read_s"] = now() - t
            index = {e: i for i, e in enumerate(snap.ids)}
            positions = np.asarray([index[e] for e, _, _ in snap.train])
            labels = [label for _, _, label in snap.train]
            t = now()
            head = EmbeddingHead(classes=REFRESH_LABELS).fit(X[positions], labels)
            steps["head_fit_s"] = now() - t
            t = now()
            proba = head.predict_proba(X)
            rows = rank_pool(ids=snap.ids, proba=proba, embeddings=X, classes=REFRESH_LABELS, strategy=strategy,
                             done=done_ids(snap.counts, snap.settings), estimator=head, seed=seed)
            steps["scoring_s"] = now() - t
            t = now()
            publish_version(project.db, kind="head", strategy=strategy, scores=rows, encoder_version=0,
                            n_labels=len(labels), watermark=snap.watermark)
            steps["publish_s"] = now() - t
            n_labels = len(training_labels(project.db))
        median = statistics.median(timings)
        return {
            "pool": pool, "strategy": strategy, "batch": batch, "labels": n_labels,
            "embeddings": "synthetic random unit vectors, 384-d (no encoder run)",
            "refresh_s": [round(x, 3) for x in timings], "total_s": round(median, 3),
            **{key: round(value, 3) for key, value in steps.items()},
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)
