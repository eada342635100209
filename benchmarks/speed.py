"""Speed benchmark: pool scoring against a plain transformers pipeline, fine-tuning,
queue refresh at large pools, import and export.

Everything runs in one process, one part after the other, so the ratios are
measured under the same machine load:

* **scoring**: the same saved model folder and the same texts are scored by
  ``TransformerClassifier.predict_proba`` and by
  ``transformers.pipeline("text-classification", model=<folder>,
  batch_size=<same>)`` (all class scores, same truncation), alternating
  between the two for ``repeats`` rounds after a warm-up; the median of each
  gives texts/s and the ratio ``scoring_speedup``.
* **fine-tune**: ``TransformerClassifier.fit`` on 500 labeled texts with the
  project's default epochs; the fitted model is the one scored above.
* **refresh**: the fast tier after one labeling batch at 10k, 100k and 1M
  pools (``pools``) — fit the embedding head on the labeled embeddings, score
  the pool with the project's strategy, publish the ranking — on a real
  project database. Pool embeddings are synthetic random unit vectors
  (encoding 1M texts on this CPU would take hours and is a one-off per
  encoder version).
* **io**: ``import_file`` of a labeled CSV of ``rows`` synthetic rows and
  ``export`` of its labels to CSV, each beside a plain baseline on the same
  file and database: ``sqlite_utils`` ``insert_all`` of the CSV's rows into a
  bare table (no validation, no de-duplication), and ``pandas.read_sql`` of
  the labels joined to their texts written with ``DataFrame.to_csv``.
* **flops** (:mod:`benchmarks.flops`): the machine's float32 matmul throughput and the
  encoder's achieved FLOP/s on the texts, alternating; the fraction of the first reached.
* **int8** (:mod:`benchmarks.int8`): the encoder with dynamically quantized int8 linear
  layers against fp32: texts/s on the same texts (alternating rounds) and the fast tier's
  accuracy on each ``datasets`` folder, with the issue's keep-or-reject verdict.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
from pathlib import Path
from typing import Any

from annotator.config import SETTINGS
from annotator.errors import InputError
from benchmarks.common import machine_info, now, read_jsonl, write_json
from benchmarks.synthetic import synthetic_labels, synthetic_texts

SPEED_LABELS = ["alpha", "beta", "gamma", "delta"]

FULL = {"score_texts": 2000, "repeats": 3, "finetune_texts": 500,
        "refresh_pools": [10_000, 100_000, 1_000_000], "io_rows": 1_000_000}
QUICK = {"score_texts": 64, "repeats": 1, "finetune_texts": 32, "refresh_pools": [300, 1_000],
         "io_rows": 1_000, "refresh_warm_labels": 50, "refresh_rounds": 2}
PARTS = ("scoring", "refresh", "io", "flops", "int8")


def load_texts(path: str | os.PathLike | None, n: int, seed: int = 0) -> tuple[list[str], list[str]]:
    """``n`` texts and labels from a ``{"text","label"}`` JSONL file (cycled if short), or synthetic."""
    if path is None:
        texts = list(synthetic_texts(n, seed))
        return texts, synthetic_labels(n, SPEED_LABELS, seed)
    rows = read_jsonl(path)
    if not rows:
        raise InputError(f"{path}: no rows")
    rows = [rows[i % len(rows)] for i in range(n)]
    return [str(r["text"]) for r in rows], [str(r.get("label", SPEED_LABELS[i % 4])) for i, r in enumerate(rows)]


def measure_finetune(model: str, texts: list[str], labels: list[str], *, epochs: int, batch_size: int,
                     max_length: int, out_dir: Path, min_steps: int = 0,
                     objective: str = "mean_head") -> dict[str, Any]:
    """Fit a fresh classifier on the texts as the loop does (its objective and step floor); time it;
    save it to ``out_dir``."""
    from learner.classifier import TransformerClassifier

    classes = sorted(set(labels))
    if len(classes) < 2:
        raise InputError("the fine-tune texts need at least two labels")
    classifier = TransformerClassifier(model=model, classes=classes, epochs=epochs, batch_size=batch_size,
                                       max_length=max_length, seed=0, min_steps=min_steps, objective=objective)
    started = now()
    classifier.fit(texts, labels)
    seconds = now() - started
    classifier.save(out_dir)
    return {"texts": len(texts), "epochs": epochs, "min_steps": min_steps, "objective": objective,
            "steps": classifier.history_[-1]["steps"], "seconds": round(seconds, 3),
            "seconds_per_500": round(seconds * 500 / len(texts), 3)}


def measure_scoring(model_dir: Path, texts: list[str], *, batch_size: int, max_length: int,
                    repeats: int) -> dict[str, Any]:
    """Ours versus the plain pipeline on the same folder and texts, alternating rounds.

    Both score through the folder's own sequence classifier (a mean head saved beside it is
    left out), so the two run the same network and must give the same top labels."""
    import numpy as np
    import transformers

    from learner.classifier import TransformerClassifier

    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    ours = TransformerClassifier.load(model_dir, device="cpu")
    ours.set_params(batch_size=batch_size, max_length=max_length)
    ours.mean_head_ = None
    pipe = transformers.pipeline("text-classification", model=str(model_dir), device="cpu",
                                 batch_size=batch_size)
    call = {"top_k": None, "truncation": True, "max_length": max_length}
    warm = texts[: 2 * batch_size]
    ours.predict_proba(warm)
    pipe(warm, **call)
    ours_s, pipe_s = [], []
    proba = outputs = None
    for _ in range(repeats):
        started = now()
        proba = ours.predict_proba(texts)
        ours_s.append(now() - started)
        started = now()
        outputs = pipe(texts, **call)
        pipe_s.append(now() - started)
    classes = [str(c) for c in ours.classes_]
    pipe_top = [max(out, key=lambda d: d["score"])["label"] for out in outputs]
    ours_top = [classes[i] for i in np.argmax(proba, axis=1)]
    agreement = sum(a == b for a, b in zip(ours_top, pipe_top)) / len(texts)
    ours_median, pipe_median = statistics.median(ours_s), statistics.median(pipe_s)
    return {
        "n_texts": len(texts), "batch_size": batch_size, "max_length": max_length, "repeats": repeats,
        "ours_s": [round(s, 3) for s in ours_s], "pipeline_s": [round(s, 3) for s in pipe_s],
        "ours_texts_per_s": round(len(texts) / ours_median, 1),
        "pipeline_texts_per_s": round(len(texts) / pipe_median, 1),
        "speedup": round(pipe_median / ours_median, 3),
        "top_label_agreement": round(agreement, 4),
        "mean_chars": round(sum(map(len, texts)) / len(texts), 1),
    }


def _checkpoint(result: dict[str, Any], path: str | os.PathLike | None) -> None:
    """Write what is measured so far, so a long run that is stopped still leaves its figures."""
    if path:
        write_json({**result, "partial": True}, path)


def run_speed(
    *,
    quick: bool = False,
    model: str | None = None,
    texts_file: str | os.PathLike | None = None,
    batch_size: int = 32,
    max_length: int | None = None,
    parts: tuple[str, ...] = ("scoring", "refresh", "io"),
    workdir: str | os.PathLike | None = None,
    score_texts: int | None = None,
    repeats: int | None = None,
    progress_path: str | os.PathLike | None = None,
    pools: list[int] | None = None,
    rows: int | None = None,
    datasets: list[str] | None = None,
    train_texts: int = 500,
    seeds: list[int] | None = None,
    int8_backends: tuple[str, ...] = ("torch",),
    threads: int | None = None,
) -> dict[str, Any]:
    """Run the speed benchmark; ``quick`` uses a tiny local BERT and small sizes."""
    import torch

    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        raise InputError(f"unknown part {unknown[0]!r}: choose from {', '.join(PARTS)}")
    if "int8" in parts and not datasets and not quick:
        raise InputError("--parts int8 needs --data DIR (train.jsonl and test.jsonl), once per dataset")
    plan = dict(QUICK if quick else FULL)
    if score_texts:
        plan["score_texts"] = score_texts
    if repeats:
        plan["repeats"] = repeats
    if pools:
        if min(pools) < 100:
            raise InputError("--pools: every pool needs at least 100 texts")
        plan["refresh_pools"] = list(pools)
    if rows:
        if rows < 10:
            raise InputError("--rows: at least 10 rows")
        plan["io_rows"] = rows
    max_length = max_length or SETTINGS["max_length"].default
    base = Path(tempfile.mkdtemp(prefix="labelloop-speed-", dir=workdir))
    result: dict[str, Any] = {"part": "speed", "quick": quick, "torch_threads": torch.get_num_threads(),
                              "plan": plan}
    try:
        if "scoring" in parts:
            if quick and model is None:
                from benchmarks.tiny_bert import build_tiny_bert

                model = str(build_tiny_bert(base / "tiny"))
            model = model or "default"
            epochs = 1 if quick else SETTINGS["epochs"].default
            texts, labels = load_texts(texts_file, max(plan["score_texts"], plan["finetune_texts"]))
            finetune = measure_finetune(model, texts[: plan["finetune_texts"]], labels[: plan["finetune_texts"]],
                                        epochs=epochs, batch_size=batch_size, max_length=max_length,
                                        out_dir=base / "model",
                                        min_steps=0 if quick else SETTINGS["finetune_min_steps"].default,
                                        objective=SETTINGS["finetune_objective"].default)
            scoring = measure_scoring(base / "model", texts[: plan["score_texts"]], batch_size=batch_size,
                                      max_length=max_length, repeats=plan["repeats"])
            result.update({
                "model": model, "texts_file": str(texts_file) if texts_file else "synthetic",
                "finetune": finetune, "finetune_s_per_500": finetune["seconds_per_500"],
                "scoring": scoring,
                "scoring_texts_per_s": scoring["ours_texts_per_s"],
                "pipeline_texts_per_s": scoring["pipeline_texts_per_s"],
                "scoring_speedup": scoring["speedup"],
            })
            _checkpoint(result, progress_path)
        if "refresh" in parts:
            from benchmarks.refresh import measure_refresh

            result["refresh"] = [
                measure_refresh(pool, base, seed=i, warm_labels=plan.get("refresh_warm_labels", 200),
                                rounds=plan.get("refresh_rounds", 3))
                for i, pool in enumerate(plan["refresh_pools"])
            ]
            _checkpoint(result, progress_path)
        if "io" in parts:
            from benchmarks.io_speed import measure_io

            result["io"] = measure_io(plan["io_rows"], base)
            _checkpoint(result, progress_path)
        if "flops" in parts or "int8" in parts:
            _encoder_parts(result, parts, plan, base, quick=quick, model=model, texts_file=texts_file,
                           batch_size=batch_size, max_length=max_length, datasets=datasets,
                           train_texts=train_texts, seeds=seeds, int8_backends=int8_backends,
                           threads=threads, progress_path=progress_path)
        result["machine"] = machine_info()
        return result
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _encoder_parts(result: dict[str, Any], parts: tuple[str, ...], plan: dict[str, Any], base: Path, *,
                   quick: bool, model: str | None, texts_file, batch_size: int, max_length: int,
                   datasets: list[str] | None, train_texts: int, seeds: list[int] | None,
                   int8_backends: tuple[str, ...], threads: int | None, progress_path) -> None:
    """The flops and int8 parts: the bare encoder (the tiny BERT in quick mode) on the texts."""
    from benchmarks import flops, int8

    if quick and model is None:
        from benchmarks.tiny_bert import build_tiny_bert

        model = str(build_tiny_bert(base / "tiny-encoder"))
    texts, _ = load_texts(texts_file, plan["score_texts"])
    result.setdefault("model", model or "default")
    result.setdefault("texts_file", str(texts_file) if texts_file else "synthetic")
    if "flops" in parts:
        sizes = flops.QUICK if quick else flops.FULL
        result["flops"] = flops.measure_flops(model, texts, batch_size=batch_size, max_length=max_length,
                                              rounds=plan["repeats"], threads=threads, **sizes)
        _checkpoint(result, progress_path)
    if "int8" in parts:
        if datasets:
            data = [int8.read_dataset(folder) for folder in datasets]
        else:
            data = [_tiny_dataset()]
        from learner.devices import torch_threads

        with torch_threads(threads):
            result["int8"] = int8.measure_int8(model, texts, data, batch_size=batch_size, max_length=max_length,
                                               rounds=plan["repeats"], folder=base, train_texts=train_texts,
                                               seeds=seeds, backends=int8_backends)


def _tiny_dataset() -> tuple[str, list[dict], list[dict]]:
    """The tiny four-topic corpus as a dataset, for --quick without --data."""
    from benchmarks.tiny_bert import tiny_corpus

    rows = [{"text": text, "label": label} for text, label in tiny_corpus(200, seed=1)]
    return "tiny", rows[:150], rows[150:]
