"""Measure the lead dashboard's load time on a project with many labels.

Builds (or reuses) a synthetic project: a pool of POOL texts plus an
evaluation set, a simulated team of ANNOTATORS whose LABELS labels span weeks
(30 % of items labeled by two annotators), some lead adjudications, VERSIONS
model versions with evaluation metrics, the newest three with scores over the
whole pool. Then times ``annotator.services.dashboard.load_dashboard`` (every query
and the agreement coefficients) and its parts, REPEAT times each.

    python scripts/measure_dashboard.py --labels 100000 --pool 100000 --out /tmp/dash100k
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from annotator.services import dashboard, review
from annotator.services.imports import import_file
from annotator.services.passwords import hash_password
from annotator.services.projects import create_project, open_project
from annotator.services.stats import project_stats
from annotator.store import reporting as queries
from annotator.store.users import insert_user
from annotator.store.versions import prune_scores, publish_version
from benchmarks.team import default_team, simulate_team, write_labels

LABELS = ["billing", "shipping", "technical", "account", "feedback"]
WORDS = ("refund invoice parcel courier login password crash update error charge delivery late "
         "broken screen account email address thanks great slow app order tracking").split()


def write_texts(path: Path, n: int, offset: int, rng: np.random.Generator) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text"])
        for i in range(n):
            words = " ".join(rng.choice(WORDS, size=12))
            writer.writerow([f"t{offset + i}", f"ticket {offset + i}: {words}"])
    return path


def build(folder: Path, pool: int, eval_size: int, n_labels: int, annotators: int, versions: int) -> None:
    rng = np.random.default_rng(0)
    started = time.perf_counter()
    with create_project(folder, LABELS) as project, tempfile.TemporaryDirectory() as tmp:
        import_file(project, write_texts(Path(tmp) / "pool.csv", pool, 0, rng), id_column="id")
        import_file(project, write_texts(Path(tmp) / "eval.csv", eval_size, pool, rng), id_column="id",
                    eval_set=True)
        insert_user(project.db, "lead", "lead", hash_password("lead-password"))
        rows = simulate_team(project, default_team(annotators), n_labels, overlap_fraction=0.3, k=2, seed=0)
        write_labels(project, rows)
        open_items = queries.disagreements(project.db)
        for item in open_items[: len(open_items) // 3]:
            review.adjudicate(project, "lead", item["example_id"], sorted(item["votes"].values())[0])
        pool_ids = [e for e, is_eval in queries_pool(project)]
        truth = rng.choice(LABELS, size=len(pool_ids))
        for v in range(versions):
            accuracy = 0.5 + 0.4 * (1 - np.exp(-v / 5))
            confusion = (np.eye(len(LABELS)) * 80 * accuracy + (1 - accuracy) * 20).astype(int).tolist()
            scores = []
            if v >= versions - 3:
                flip = rng.random(len(pool_ids)) < 0.3 / (v + 1)
                predicted = np.where(flip, rng.choice(LABELS, size=len(pool_ids)), truth)
                scores = [(e, r, 0.5, str(p), 0.8) for r, (e, p) in enumerate(zip(pool_ids, predicted))]
            publish_version(
                project.db, kind="head", strategy="margin", scores=scores, encoder_version=0,
                n_labels=int(n_labels * (v + 1) / versions),
                metrics={"accuracy": accuracy, "macro_f1": accuracy - 0.05, "n_eval": eval_size,
                         "confusion": confusion},
            )
        prune_scores(project.db)
    print(f"built {folder} in {time.perf_counter() - started:.1f} s", file=sys.stderr)


def queries_pool(project):
    from annotator.store.reporting import unlabeled_examples

    return [(e, is_eval) for e, is_eval in unlabeled_examples(project.db) if not is_eval]


def timed(function, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return times


def time_page(folder: Path, repeat: int) -> dict[str, dict[str, float]]:
    """The dashboard page script itself (Streamlit AppTest, signed in as the lead): first run with an
    empty cache, then reruns that hit the cache (what a lead's click costs when no label changed)."""
    from streamlit.testing.v1 import AppTest

    os.environ["LABELLOOP_PROJECT"] = str(folder)
    page = Path(__file__).resolve().parents[1] / "annotator" / "app" / "views" / "lead_dashboard.py"
    at = AppTest.from_file(str(page), default_timeout=600)
    at.session_state["ll_user"] = "lead"
    started = time.perf_counter()
    at.run()
    cold = time.perf_counter() - started
    if at.exception or at.error:
        raise SystemExit(f"dashboard page failed: {[str(e.value) for e in at.exception or at.error]}")
    warm = timed(at.run, repeat)
    return {
        "dashboard page, first run (cache empty)": {"median_s": cold, "min_s": cold, "max_s": cold},
        "dashboard page, rerun (cache hit)": {
            "median_s": statistics.median(warm), "min_s": min(warm), "max_s": max(warm)},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=int, default=100_000, help="label rows to simulate")
    parser.add_argument("--pool", type=int, default=100_000, help="pool texts")
    parser.add_argument("--eval", type=int, default=2_000, help="evaluation-set texts")
    parser.add_argument("--annotators", type=int, default=10, help="simulated annotators")
    parser.add_argument("--versions", type=int, default=20, help="model versions with metrics")
    parser.add_argument("--repeat", type=int, default=5, help="timings per measurement")
    parser.add_argument("--out", type=Path, default=None, help="project folder (reused if it exists)")
    parser.add_argument("--json", type=Path, default=None, help="write the timings here")
    args = parser.parse_args(argv)
    folder = args.out or Path(tempfile.mkdtemp()) / "dashboard-bench"
    if not (folder / "project.db").exists():
        build(folder, args.pool, args.eval, args.labels, args.annotators, args.versions)
    with open_project(folder) as project:
        stats = project_stats(project, sections=[])
        parts = {
            "load_dashboard (everything)": lambda: dashboard.load_dashboard(project),
            "data_stamp (cache key)": lambda: queries.data_stamp(project.db),
            "pool_counts": lambda: queries.pool_counts(project.db),
            "progress (2 queries)": lambda: dashboard.progress(project),
            "label_counts": lambda: queries.label_counts(project.db),
            "annotator_table": lambda: dashboard.annotator_table(project),
            "annotator_label_table": lambda: dashboard.annotator_label_table(project),
            "agreement_report (query + coefficients)": lambda: dashboard.agreement_report(project),
            "learning_curve + confusion": lambda: (dashboard.learning_curve(project), dashboard.confusion(project)),
            "stopping_signal": lambda: dashboard.stopping_signal(project),
            "disagreement queue (review page)": lambda: review.disagreement_queue(project),
        "overlap votes + ratings frame": lambda: dashboard.overlap_ratings(project),
            "stats --json sections": lambda: project_stats(project),
        }
        results = {}
        for name, function in parts.items():
            times = timed(function, args.repeat)
            results[name] = {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times)}
        data = dashboard.load_dashboard(project)
    results.update(time_page(folder, args.repeat))
    load = os.getloadavg()
    summary = {
        "project": str(folder),
        "cpus": os.cpu_count(),
        "load_average_1_5_15": [round(x, 2) for x in load],
        "labels_total": stats["labels_total"],
        "labels_current": stats["labels_current"],
        "pool": stats["pool"],
        "eval": stats["eval"],
        "annotators": len(data.annotators),
        "overlap_items": data.agreement.summary["n_items"],
        "versions": len(data.learning_curve),
        "repeat": args.repeat,
        "timings": results,
    }
    print(f"{stats['labels_total']} label rows, {stats['pool']} examples, {len(data.annotators)} annotators, "
          f"{summary['overlap_items']} items with 2+ annotators, {summary['versions']} evaluated versions")
    print(f"machine: {os.cpu_count()} CPUs, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1/5/15 min)")
    print(f"{'measurement':45s} {'median s':>9s} {'min s':>8s} {'max s':>8s}   (n={args.repeat})")
    for name, row in results.items():
        print(f"{name:45s} {row['median_s']:9.3f} {row['min_s']:8.3f} {row['max_s']:8.3f}")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
