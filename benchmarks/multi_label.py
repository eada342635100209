"""Multi-label learning curves of the fast tier: query strategies against random on a gold file of
``{"text", "labels": [...]}`` rows (GoEmotions), through the library the worker would use.

One run: a seeded pool of ``pool`` texts from ``train.jsonl`` and the whole ``test.jsonl`` (or, with
``split="dev"``, ``dev.jsonl``: choose a default there, report on test), embedded
once by the base encoder (cached as ``vectors_*.npy`` in ``--cache``); a cold start of ``batch``
k-means picks (:func:`learner.coldstart.cold_start_order`); then, until ``budget`` labels, fit a
:class:`learner.multi_label_head.MultiLabelHead` (cross-validated thresholds) on the labeled pool
texts with their gold sets, score the test set (:func:`learner.multi_label_metrics.evaluate_sets`),
and ask the next ``batch`` texts by the strategy (:func:`learner.multi_label_strategies.rank_multi_label`).
Curve points carry ``labels``, ``micro_f1``, ``macro_f1``, ``subset_accuracy``, ``hamming_loss``.

This is the simulated annotator without the project around it (queue, worker, store): the learner's
part of the loop, which is what a strategy changes. ``labelloop simulate`` on multi-label projects is
not wired yet.
"""

from __future__ import annotations

import hashlib
import statistics
from pathlib import Path
from typing import Any

import numpy as np

from annotator.errors import InputError
from benchmarks.common import machine_info, now, read_jsonl
from learner.coldstart import cold_start_order
from learner.multi_label_head import MultiLabelHead, indicator_matrix
from learner.multi_label_metrics import evaluate_sets
from learner.multi_label_strategies import rank_multi_label

CHECKPOINTS = (100, 200, 500)


def gold_sets(rows: list[dict[str, Any]]) -> list[list[str]]:
    return [[str(name) for name in row["labels"]] for row in rows]


def label_names(*row_lists: list[dict[str, Any]]) -> list[str]:
    return sorted({str(name) for rows in row_lists for row in rows for name in row["labels"]})


def cached_vectors(texts: list[str], cache: Path, model: str | None) -> np.ndarray:
    """The base encoder's embeddings of ``texts``, cached in ``cache`` by a hash of the texts and model."""
    key = hashlib.sha256("\n".join([str(model), *texts]).encode("utf-8")).hexdigest()[:16]
    path = cache / f"vectors_{key}.npy"
    if path.is_file():
        return np.load(path)
    from learner.classifier import TransformerClassifier

    vectors = TransformerClassifier(model=model, classes=["a", "b"]).embed(texts)
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def run_curve(pool_X: np.ndarray, pool_Y: np.ndarray, test_X: np.ndarray, test_Y: np.ndarray, classes: list[str],
              *, strategy: str, seed: int, budget: int, batch: int, prior: np.ndarray | None = None,
              at_least_one: bool = False) -> list[dict[str, Any]]:
    """One simulated labeling run; its curve (a point after every batch)."""
    rng = np.random.default_rng(seed)
    labeled = list(cold_start_order(pool_X, n=batch, method="kmeans", random_state=seed)[:batch])
    curve = []
    while True:
        head = MultiLabelHead(classes=classes, C=10.0, prior=prior, at_least_one=at_least_one,
                              random_state=seed).fit(pool_X[labeled], pool_Y[labeled])
        scores = evaluate_sets(test_Y, head.predict(test_X), classes)
        curve.append({"labels": len(labeled), **{k: round(scores[k], 4) for k in
                                                 ("micro_f1", "macro_f1", "subset_accuracy", "hamming_loss")}})
        if len(labeled) >= budget:
            return curve
        rest = np.setdiff1d(np.arange(len(pool_X)), labeled)
        picked = rank_multi_label(strategy, head, pool_X[rest], min(batch, budget - len(labeled)), random_state=rng)
        labeled.extend(int(i) for i in rest[picked])


def run_benchmark(data: Path, *, strategies: list[str], seeds: list[int], pool: int, budget: int, batch: int,
                  cache: Path, model: str | None = None, label_prior: bool = False, at_least_one: bool = False,
                  test_limit: int | None = None, split: str = "test", log=print) -> dict[str, Any]:
    """Curves of every strategy and seed on ``data`` (a folder with train.jsonl and test.jsonl, and
    dev.jsonl for ``split="dev"``), scored on the split's file."""
    started = now()
    scored_on = data / f"{split}.jsonl"
    if split not in ("test", "dev") or not scored_on.is_file():
        raise InputError(f"{data}: no {split}.jsonl to score on" if split in ("test", "dev")
                         else f"unknown split {split!r}: choose test or dev")
    train = read_jsonl(data / "train.jsonl")
    test = read_jsonl(scored_on, limit=test_limit)
    classes = label_names(train, test)
    chosen = np.random.default_rng(0).permutation(len(train))[:pool]
    pool_rows = [train[i] for i in sorted(chosen)]
    pool_X = cached_vectors([row["text"] for row in pool_rows], cache, model)
    test_X = cached_vectors([row["text"] for row in test], cache, model)
    prior = cached_vectors([name.replace("_", " ") for name in classes], cache, model) if label_prior else None
    pool_Y, test_Y = indicator_matrix(gold_sets(pool_rows), classes), indicator_matrix(gold_sets(test), classes)
    log(f"pool {len(pool_rows)}, test {len(test)}, {len(classes)} labels; embedded in {now() - started:.0f} s")
    runs = []
    for strategy in strategies:
        for seed in seeds:
            t0 = now()
            curve = run_curve(pool_X, pool_Y, test_X, test_Y, classes, strategy=strategy, seed=seed, budget=budget,
                              batch=batch, prior=prior, at_least_one=at_least_one)
            runs.append({"strategy": strategy, "seed": seed, "curve": curve})
            log(f"{strategy} seed {seed}: macro-F1 {curve[-1]['macro_f1']:.3f} at {curve[-1]['labels']} labels "
                f"({now() - t0:.0f} s)")
    return {"data": str(data), "split": split, "pool": len(pool_rows), "test": len(test), "labels": classes,
            "budget": budget, "batch": batch, "seeds": seeds, "label_prior": label_prior, "at_least_one": at_least_one,
            "machine": machine_info(), "runs": runs, "summary": summarize(runs)}


def summarize(runs: list[dict[str, Any]], checkpoints=CHECKPOINTS) -> dict[str, Any]:
    """Per strategy and checkpoint: mean and standard deviation over seeds of each metric."""
    out: dict[str, Any] = {}
    for strategy in dict.fromkeys(run["strategy"] for run in runs):
        curves = [run["curve"] for run in runs if run["strategy"] == strategy]
        out[strategy] = {}
        for point in checkpoints:
            at = [next((p for p in curve if p["labels"] >= point), None) for curve in curves]
            if any(p is None for p in at):
                continue
            out[strategy][point] = {
                metric: {"mean": round(statistics.fmean(p[metric] for p in at), 4),
                         "sd": round(statistics.stdev(p[metric] for p in at), 4) if len(at) > 1 else 0.0}
                for metric in ("micro_f1", "macro_f1", "subset_accuracy")
            }
    return out


def markdown_table(result: dict[str, Any]) -> str:
    """Strategies by row, ``labels: micro-F1 / macro-F1 / subset accuracy`` (mean ± sd over seeds) by column."""
    points = sorted({point for per in result["summary"].values() for point in per})
    lines = ["| strategy | " + " | ".join(f"{p} labels: micro-F1 / macro-F1 / subset acc." for p in points) + " |",
             "|---|" + "---|" * len(points)]
    for strategy, per in result["summary"].items():
        cells = []
        for point in points:
            if point not in per:
                cells.append("")
                continue
            m = per[point]
            cells.append(" / ".join(f"{m[k]['mean']:.3f} ± {m[k]['sd']:.3f}"
                                    for k in ("micro_f1", "macro_f1", "subset_accuracy")))
        lines.append(f"| {strategy} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
