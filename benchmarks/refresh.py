"""Queue refresh after a labeling batch (the fast tier) at a given pool size.

A real project with ``pool`` synthetic texts whose embedding cache is filled
with random unit vectors (so no encoder runs: the figure is the refresh, not
the one-off embedding). Labels are saved through ``annotator.services.queue`` as an
annotator would; then, for each of ``rounds`` batches of ``batch`` labels, the
worker's own :func:`annotator.services.training.refresh.refresh` is timed from the
batch's last label to the published ranking (wall clock, and the process's CPU seconds). One more batch is then broken
down into its steps with the same library calls, timed one by one: read the
embedding cache, fit the head, predict the pool, rank it with the strategy,
publish.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
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
    """Refresh after a batch at a pool of ``pool`` texts: the median of ``rounds`` timed refreshes
    (last label -> ranking published, as annotators see it), its steps, and the peak RSS growth."""
    import resource

    from annotator.services.imports import import_file
    from annotator.services.projects import create_project
    from annotator.services.settings import set_settings
    from annotator.services.training.embeddings import load_embeddings, save_embeddings
    from annotator.services.training.models import load_models
    from annotator.services.training.refresh import read_pool_state, refresh
    from annotator.services.training.scoring import done_mask, positions_of, rank_pool, score_pool
    from annotator.store.trainset import example_ids
    from annotator.store.versions import append_scores, prune_scores, publish_version
    from learner.head import EmbeddingHead

    folder = Path(tempfile.mkdtemp(prefix=f"refresh{pool}-", dir=workdir))
    rng = np.random.default_rng(seed)
    try:
        data = write_synthetic_file(folder / "pool.csv", pool, seed=seed)
        with create_project(folder / "project", REFRESH_LABELS) as project:
            import_file(project, data, id_column="id")
            set_settings(project.db, strategy=strategy, batch_size=batch, seed=seed)
            ids = example_ids(project.db)
            save_embeddings(project.path, 0, ids, random_embeddings(len(ids), 384, seed))
            models = load_models(project)

            def settle(result) -> None:  # what the idle worker does after a large pool's refresh
                for chunk in result.tail or ():
                    append_scores(project.db, result.version, chunk)
                prune_scores(project.db)

            settle(refresh(project, models))  # cold start ranking over the cached embeddings
            _label_batch(project, warm_labels, rng)
            settle(refresh(project, models))
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            timings, cpu = [], []
            for _ in range(rounds):
                _label_batch(project, batch, rng)
                started, cpu_started = now(), time.process_time()
                result = refresh(project, models)
                timings.append(now() - started)
                cpu.append(time.process_time() - cpu_started)
                settle(result)
            rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            # One more batch, step by step with the same calls the refresh makes.
            _label_batch(project, batch, rng)
            steps: dict[str, float] = {}
            t = now()
            cached = load_embeddings(project.path, 0)
            state = read_pool_state(project, cached[0])
            steps["read_s"] = now() - t
            X = cached[1]
            labels = [label for _, label in state.train]
            t = now()
            head = EmbeddingHead(classes=REFRESH_LABELS).fit(
                np.asarray(X[positions_of(state.ids, [e for e, _ in state.train])]), labels)
            steps["head_fit_s"] = now() - t
            t = now()
            done = done_mask(state.ids, state.counts, state.settings)
            scores = score_pool(head, X, strategy, seed, int(done.sum()))
            steps["scoring_s"] = now() - t
            t = now()
            ranking = rank_pool(ids=state.ids, scores=scores, embeddings=X, classes=REFRESH_LABELS,
                                strategy=strategy, done=done, estimator=head, seed=seed)
            steps["ranking_s"] = now() - t
            t = now()
            publish_version(project.db, kind="head", strategy=strategy, scores=ranking.top, n_ranked=ranking.n,
                            encoder_version=0, n_labels=len(labels), watermark=state.watermark)
            steps["publish_s"] = now() - t
            steps["published_rows"] = len(ranking.top)
        median = statistics.median(timings)
        return {
            "pool": pool, "strategy": strategy, "batch": batch, "labels": len(labels),
            "embeddings": "synthetic random unit vectors, 384-d, memory-mapped (no encoder run)",
            "refresh_s": [round(x, 3) for x in timings], "median_s": round(median, 3), "total_s": round(median, 3),
            # CPU seconds of this process (all its threads): what the refresh costs on a machine
            # shared with other work, where the wall-clock median also holds the waits for a core.
            "cpu_s": [round(x, 3) for x in cpu], "median_cpu_s": round(statistics.median(cpu), 3),
            "rss_growth_mb": round((rss_after - rss_before) / 1024, 1),
            **{key: round(value, 3) for key, value in steps.items()},
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)
