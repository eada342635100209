"""Seeding each label by search against the queue alone: does searching first fix the cold start?

A simulated lead answers with the gold labels. Two ways to spend the same budget:

* ``queue``: the queue alone, from the first label (the worker's k-means cold start, then the
  query strategy), exactly as ``labelloop simulate`` does;
* ``seedK``: first one semantic search per label name (the name with ``_`` as spaces, embedded by
  the current encoder, over the cached pool embeddings, unlabeled texts only: the Explore page's
  typed search) and the top K results labeled with their gold label (strategy ``search``), rank
  after rank (the best text of every search, then the second best, ...); then the queue for the
  rest of the budget. ``seedK-by-label`` labels search after search instead (all K texts of the
  first label, then the next label): with many labels, early checkpoints then see few of them.

After every ``batch`` queue labels, and at every checkpoint, the worker's fast refresh runs (the
embedding head on the base encoder, no fine-tuning), and at the checkpoints the head is scored on
the test file. Same pool, same test set, same seeds for every arm.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import base_test_vectors, machine_info, now, write_json

QUICK = {"budget": 40, "batch": 10, "pool_limit": 300, "test_limit": 100, "checkpoints": (20, 40)}
SIMULATED_LEAD = "lead"


def _evaluate(head, seen: list[str], test_vectors: np.ndarray, test_labels: list[str],
              classes: list[str]) -> dict[str, float]:
    """The head on the test set; before there is one (a single label seen), that label for every text."""
    from learner.metrics import evaluate

    if head is None:
        predicted = [seen[0] if len(seen) == 1 else ""] * len(test_labels)
    else:
        names = np.asarray(classes, dtype=object)
        predicted = list(names[np.asarray(head.predict_proba(test_vectors)).argmax(axis=1)])
    result = evaluate(test_labels, predicted, classes)
    return {"accuracy": float(result["accuracy"]), "macro_f1": float(result["macro_f1"])}


def run_arm(prepared: dict[str, Any], run_dir: Path, *, per_label: int, seed: int, budget: int, batch: int,
            checkpoints: tuple[int, ...], test_vectors: np.ndarray, test_labels: list[str],
            strategy: str = "margin", by_label: bool = False, label_prior: str | None = None) -> dict[str, Any]:
    """One arm (``per_label`` 0 = the queue alone) on a fresh copy of the prepared project; the searched
    texts are labeled rank after rank across the searches, or with ``by_label`` search after search."""
    from annotator.services import queue
    from annotator.services import search as searching
    from annotator.services.explore_queue import save_search_label
    from annotator.services.labelset import get_labels
    from annotator.services.projects import open_project
    from annotator.services.settings import set_settings
    from annotator.services.training.models import load_models
    from annotator.services.training.refresh import refresh
    from annotator.store.examples import text_hash
    from annotator.store.trainset import training_labels
    from benchmarks.common import read_jsonl

    shutil.copytree(prepared["base"], run_dir)
    answers = {text_hash(row["text"]): str(row["label"]) for row in read_jsonl(prepared["gold"])}
    started = now()
    curve: list[dict[str, Any]] = []
    seeded = 0
    with open_project(run_dir) as project:
        set_settings(project.db, strategy=strategy, seed=seed, batch_size=batch,
                     **({"label_prior": label_prior} if label_prior else {}))
        models = load_models(project)
        result = refresh(project, models)
        classes = get_labels(project.db)
        labeled = 0

        def checkpoint() -> None:
            nonlocal result
            result = refresh(project, models)
            if labeled in checkpoints:
                seen = sorted({label for _, _, label in training_labels(project.db)})
                curve.append({"labels": labeled, "seeded": seeded, "labels_seen": len(seen),
                              **_evaluate(result.head if result else None, seen, test_vectors, test_labels,
                                          classes)})

        if per_label:
            hits: list[list] = []
            for name in classes:
                query = name.replace("_", " ")
                vector = models.encoder.embed([query])[0]
                found = searching.Search("similar", query, filters=searching.Filters(labeled=False))
                page = searching.search(project, found, limit=per_label,
                                        query_vector=(models.encoder_version, vector))
                hits.append([(hit, found.describe()) for hit in page.results])
            if by_label:  # label after label: all K of one search, then the next search
                order = [pair for column in hits for pair in column]
            else:  # rank after rank: the best text of every search first, then the second best, ...
                order = [column[k] for k in range(per_label) for column in hits if k < len(column)]
            done: set[int] = set()
            for hit, described in order:
                if labeled >= budget:
                    break
                if hit.example_id in done:  # found by two searches
                    continue
                done.add(hit.example_id)
                save_search_label(project, SIMULATED_LEAD, hit.example_id, answers[text_hash(hit.text)], described)
                labeled += 1
                seeded += 1
                if labeled in checkpoints:
                    checkpoint()
        while labeled < budget:
            upcoming = [c for c in checkpoints if c > labeled]
            step = min(batch, budget - labeled, (upcoming[0] - labeled) if upcoming else batch)
            answered = 0
            for _ in range(step):
                item = queue.next_item(project, SIMULATED_LEAD)
                if item is None:
                    break
                queue.save_label(project, SIMULATED_LEAD, item.example_id, answers[text_hash(item.text)])
                labeled += 1
                answered += 1
            if answered == 0:
                break
            checkpoint()
    shutil.rmtree(run_dir, ignore_errors=True)
    arm = (f"seed{per_label}" + ("-by-label" if by_label else "")) if per_label else "queue"
    return {"arm": arm, "per_label": per_label, "by_label": by_label, "seed": seed,
            "seeded": seeded, "curve": curve, "total_s": round(now() - started, 1)}


def summarize(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mean (and spread) accuracy per arm and checkpoint over the seeds."""
    rows = []
    for arm in dict.fromkeys(run["arm"] for run in runs):
        members = [run for run in runs if run["arm"] == arm]
        points = sorted({p["labels"] for run in members for p in run["curve"]})
        row: dict[str, Any] = {"arm": arm, "seeds": len(members), "seeded": members[0]["seeded"]}
        for n in points:
            values = [p["accuracy"] for run in members for p in run["curve"] if p["labels"] == n]
            row[f"acc@{n}"] = round(statistics.fmean(values), 4)
            row[f"sd@{n}"] = round(statistics.stdev(values), 4) if len(values) > 1 else None
        rows.append(row)
    return rows


def run_seeding(data: list[str], *, seeds: list[int], per_label: list[int | str], budget: int = 500, batch: int = 25,
                checkpoints: tuple[int, ...] = (100, 200, 500), strategy: str = "margin", quick: bool = False,
                model: str | None = None, workdir: str | None = None, cache_dir: str | None = None,
                pool_limit: int | None = None, test_limit: int | None = None, label_prior: str | None = None,
                progress_path: str | None = None) -> dict[str, Any]:
    """Every dataset x seed x arm (the queue alone, then each ``per_label``); a JSON-able result."""
    from benchmarks.curves import dataset_dirs, prepare_dataset

    if quick:
        from benchmarks.tiny_bert import build_tiny_bert

        budget, batch, checkpoints = QUICK["budget"], QUICK["batch"], QUICK["checkpoints"]
        pool_limit, test_limit = QUICK["pool_limit"], QUICK["test_limit"]
    work = Path(tempfile.mkdtemp(prefix="labelloop-seeding-", dir=workdir))
    if quick and model is None:
        model = str(build_tiny_bert(work / "tiny-bert"))
    result: dict[str, Any] = {"kind": "seeding", "machine": machine_info(), "budget": budget, "batch": batch,
                              "checkpoints": list(checkpoints), "strategy": strategy, "seeds": seeds,
                              "label_prior": label_prior or "project default",
                              "per_label": per_label, "datasets": {}}
    try:
        for folder in dataset_dirs(data):
            prepared = prepare_dataset(folder, work, model=model, pool_limit=pool_limit, test_limit=test_limit,
                                       cache_dir=Path(cache_dir) if cache_dir else None)
            test_vectors, test_labels = base_test_vectors(prepared)
            runs = []
            for seed in seeds:
                for arm in ["0", *per_label]:
                    k, by_label = int(str(arm).split(":")[0]), str(arm).endswith(":label")
                    runs.append(run_arm(prepared, work / f"run-{folder.name}-{seed}-{arm}", per_label=k, seed=seed,
                                        budget=budget, batch=batch, checkpoints=tuple(checkpoints),
                                        test_vectors=test_vectors, test_labels=test_labels, strategy=strategy,
                                        by_label=by_label, label_prior=label_prior))
                    result["datasets"][folder.name] = {"n_pool": prepared["n_pool"], "n_test": prepared["n_test"],
                                                       "classes": len(prepared["classes"]), "runs": runs,
                                                       "table": summarize(runs)}
                    if progress_path:
                        write_json(result, progress_path)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return result


def summary_table(result: dict[str, Any]) -> str:
    lines = []
    for name, data in result["datasets"].items():
        lines.append(f"{name} (pool {data['n_pool']:,}, {data['classes']} labels)")
        for row in data["table"]:
            cells = [f"{key} {value:.1%}" for key, value in row.items() if key.startswith("acc@")]
            lines.append(f"  {row['arm']:<8} seeds {row['seeds']}  searched {row['seeded']:>4}  " + "  ".join(cells))
    return "\n".join(lines)
