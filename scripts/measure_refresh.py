"""Measure the fast-tier refresh (the time from a batch's last label to the re-ranked queue).

Builds a project with a pool of N texts and a cached embedding matrix for
encoder version 0 (rows reused from an existing project's ``embeddings/enc_v0`` cache, e.g. a
TREC simulation's, tiled with small noise to reach N; the refresh never runs
the encoder when the cache covers the pool, exactly as in the worker), labels
L items through the queue with a cycling label, then times R refreshes
(head fit on the labeled embeddings, predict_proba over the pool, strategy
scores, ranking, staged publish) with a batch of B new labels before each.

With ``--gold`` (the file the cache was built from, e.g. TREC train.jsonl), cache row k is the
k-th distinct text of that file (the importer's order) and the simulated annotator answers
with its gold label; without it labels cycle (a much harder, unrealistic fit for the head).

    python scripts/measure_refresh.py --cache PROJECT [--gold FILE] [--pool 10000]
                                      [--labels 500] [--batch 25] [--repeats 5] [--strategy margin]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from annotator.io.readers import read_records
from annotator.services import queue
from annotator.services.imports import import_file
from annotator.services.projects import create_project
from annotator.services.settings import set_settings
from annotator.services.training.embeddings import load_embeddings, save_embeddings
from annotator.services.training.models import load_models
from annotator.services.training.refresh import refresh
from annotator.store.examples import text_hash
from annotator.store.versions import prune_scores

LABELS = ["ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", required=True, help="a project folder with base-encoder embeddings (enc_v0)")
    parser.add_argument("--gold", default=None, help="the file the cache was embedded from (gold labels)")
    parser.add_argument("--pool", type=int, default=10_000)
    parser.add_argument("--labels", type=int, default=500)
    parser.add_argument("--batch", type=int, default=25)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--strategy", default="margin")
    args = parser.parse_args()
    cached = load_embeddings(args.cache, 0)
    if cached is None:
        parser.error(f"{args.cache}: no cached base-encoder embeddings")
    source = np.asarray(cached[1], dtype=np.float32)
    gold: list[str] | None = None
    if args.gold:
        seen, gold = set(), []
        for row in read_records(args.gold).rows:
            key = text_hash(str(row["text"]))
            if key not in seen:
                seen.add(key)
                gold.append(str(row["label"]))
        assert len(gold) == len(source), "the cache does not match the gold file"
    rng = np.random.default_rng(0)
    vectors = source[np.arange(args.pool) % len(source)] + rng.normal(0, 0.01, (args.pool, source.shape[1]))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    folder = Path(tempfile.mkdtemp(prefix="measure_refresh_"))
    pool_file = folder / "pool.jsonl"
    pool_file.write_text("".join(json.dumps({"text": f"pool text {i}"}) + "\n" for i in range(args.pool)))
    project = create_project(folder / "project", sorted(set(gold)) if gold else LABELS)
    import_file(project, pool_file)
    ids = [row[0] for row in project.db.execute("SELECT id FROM examples ORDER BY id")]
    save_embeddings(project.path, 0, ids, vectors)
    set_settings(project.db, strategy=args.strategy, batch_size=args.batch)
    models = load_models(project)
    refresh(project, models)  # cold start version

    def label(n: int) -> None:
        for _ in range(n):
            item = queue.next_item(project, "ann")
            position = ids.index(item.example_id)
            answer = gold[position % len(gold)] if gold else LABELS[item.example_id % len(LABELS)]
            queue.save_label(project, "ann", item.example_id, answer)

    label(args.labels - args.batch * args.repeats)
    timings, parts = [], []
    for _ in range(args.repeats):
        label(args.batch)
        tick = time.perf_counter()
        result = refresh(project, models)
        timings.append(time.perf_counter() - tick)
        parts.append({k: round(v, 3) for k, v in result.timings.items()})
        assert result.kind == "head"
        prune_scores(project.db)
    print(json.dumps({"pool": args.pool, "labels": args.labels, "strategy": args.strategy,
                      "refresh_s": [round(t, 3) for t in timings], "parts_s": parts,
                      "median_s": round(statistics.median(timings), 3)}, indent=2))
    project.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
