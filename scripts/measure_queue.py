"""Measure queue serving at scale: p50/p95 of next_item and save_label.

Builds a project with a pool of N synthetic texts (default 100,000) through
the importer, publishes a ranking over the whole pool the way the worker does
(one transaction), then starts A annotator processes (default 20) that each
serve-and-label M items as fast as they can, all at once. Optionally the main
process publishes a fresh full ranking every few seconds meanwhile (what the
worker does after each batch), to show what annotators see during a publish.

    python scripts/measure_queue.py [--pool 100000] [--annotators 20] [--items 50]
                                    [--publish-every SECONDS] [--json OUT]

No torch is imported: this is the code path of the labeling UI.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from annotator.services import queue
from annotator.services.imports import import_file
from annotator.services.projects import create_project, open_project
from annotator.services.ranking import build_scores
from annotator.store.trainset import current_label_counts
from annotator.store.versions import prune_scores, publish_version

LABELS = ["a", "b", "c"]


def annotate(project_dir: str, annotator: str, items: int, start_at: float, think: float) -> dict:
    """One annotator process: wait for the common start, then serve and label ``items`` items,
    pausing ``think`` seconds on average (uniform 0.5x..1.5x, seeded) before each save."""
    rng = np.random.default_rng(sum(annotator.encode()))
    with open_project(project_dir) as project:
        while time.time() < start_at:
            time.sleep(0.005)
        next_s, save_s = [], []
        for i in range(items):
            tick = time.perf_counter()
            item = queue.next_item(project, annotator)
            next_s.append(time.perf_counter() - tick)
            if item is None:
                break
            if think > 0:
                time.sleep(think * rng.uniform(0.5, 1.5))
            tick = time.perf_counter()
            queue.save_label(project, annotator, item.example_id, LABELS[i % len(LABELS)])
            save_s.append(time.perf_counter() - tick)
    return {"annotator": annotator, "next_item_s": next_s, "save_label_s": save_s}


def publish_random_ranking(project, seed: int) -> float:
    """Publish a ranking of the whole pool like the worker's fast tier; return seconds taken."""
    ids = [row[0] for row in project.db.execute("SELECT id FROM examples ORDER BY id")]
    counts = current_label_counts(project.db)
    rng = np.random.default_rng(seed)
    tick = time.perf_counter()
    rows = build_scores(ids, done=set(counts), informativeness=rng.random(len(ids)),
                        predicted=[LABELS[i % 3] for i in range(len(ids))], confidence=rng.random(len(ids)))
    publish_version(project.db, kind="head", strategy="margin", scores=rows, encoder_version=0,
                    watermark=0)
    seconds = time.perf_counter() - tick
    prune_scores(project.db)
    return seconds


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pool", type=int, default=100_000)
    parser.add_argument("--annotators", type=int, default=20)
    parser.add_argument("--items", type=int, default=50, help="items each annotator labels")
    parser.add_argument("--publish-every", type=float, default=0.0, metavar="SECONDS",
                        help="publish a new full ranking this often during the run (0 = never)")
    parser.add_argument("--think", type=float, default=0.0, metavar="SECONDS",
                        help="mean pause of an annotator reading an item (0 = none: a stress test)")
    parser.add_argument("--json", default=None, metavar="OUT")
    parser.add_argument("--worker", nargs=5, metavar=("DIR", "NAME", "ITEMS", "START", "THINK"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        directory, name, items, start, think = args.worker
        print(json.dumps(annotate(directory, name, int(items), float(start), float(think))))
        return 0

    folder = Path(tempfile.mkdtemp(prefix="measure_queue_"))
    pool_file = folder / "pool.jsonl"
    with open(pool_file, "w", encoding="utf-8") as handle:
        for i in range(args.pool):
            handle.write(json.dumps({"text": f"synthetic example number {i} about topic {i % 97}"}) + "\n")
    project = create_project(folder / "project", LABELS)
    tick = time.perf_counter()
    import_file(project, pool_file)
    import_s = time.perf_counter() - tick
    first_publish_s = publish_random_ranking(project, 0)

    start_at = time.time() + 3.0 + 0.15 * args.annotators
    procs = [
        subprocess.Popen([sys.executable, __file__, "--worker", str(project.path), f"ann{i}", str(args.items),
                          str(start_at), str(args.think)], stdout=subprocess.PIPE, text=True)
        for i in range(args.annotators)
    ]
    publishes = []
    if args.publish_every > 0:
        next_publish = start_at + args.publish_every
        while any(proc.poll() is None for proc in procs):
            if time.time() >= next_publish:
                publishes.append(publish_random_ranking(project, len(publishes) + 1))
                next_publish = time.time() + args.publish_every
            time.sleep(0.05)
    results = [json.loads(proc.communicate()[0]) for proc in procs]
    wall_s = time.time() - start_at
    next_s = [v for r in results for v in r["next_item_s"]]
    save_s = [v for r in results for v in r["save_label_s"]]
    double = project.db.execute(
        "SELECT COUNT(*) FROM (SELECT example_id FROM labels WHERE superseded = 0 "
        "GROUP BY example_id HAVING COUNT(*) > 1)"
    ).fetchone()[0]
    report = {
        "pool": args.pool, "annotators": args.annotators, "items_each": args.items, "think_s": args.think,
        "import_s": round(import_s, 2), "publish_s": round(first_publish_s, 3),
        "publishes_during_run_s": [round(p, 3) for p in publishes],
        "calls": len(next_s), "wall_s": round(wall_s, 2),
        "next_item_ms": {"p50": percentile(next_s, 50) * 1e3, "p95": percentile(next_s, 95) * 1e3,
                          "max": max(next_s) * 1e3},
        "save_label_ms": {"p50": percentile(save_s, 50) * 1e3, "p95": percentile(save_s, 95) * 1e3,
                           "max": max(save_s) * 1e3},
        "next_item_over_100ms": sum(v > 0.1 for v in next_s),
        "save_label_over_100ms": sum(v > 0.1 for v in save_s),
        "items_labeled_twice": double,
        "median_next_item_ms_by_annotator": statistics.median(
            [statistics.median(r["next_item_s"]) * 1e3 for r in results]),
    }
    print(json.dumps(report, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    project.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
