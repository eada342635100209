"""int8 embedding on the CPU: torch dynamic quantization against fp32, speed and accuracy.

``labelloop bench speed --parts int8 --data DIR [--data DIR]``. The encoder's ``nn.Linear``
layers are replaced by dynamically quantized ones (``torch.ao.quantization.quantize_dynamic``,
``qint8`` weights, activations quantized per batch; attention's own products, layer norms and
GELU stay fp32), on a copy of the same fp32 encoder. Both run the same token ids through the
same batching and pooling (:mod:`benchmarks.encoder_pass`).

* **speed**: after a warm-up of each, fp32 and int8 passes over the same texts alternate for
  ``rounds`` rounds (fp32 first in odd rounds, int8 first in even ones); texts/s from the
  medians, ``speedup`` = fp32 median / int8 median, and the median of the per-round ratios.
* **accuracy**: per dataset folder (``train.jsonl``, ``test.jsonl``), ``train_texts`` training
  texts drawn at random (per seed) and the whole test split are embedded by both encoders; the
  fast tier's head (``EmbeddingHead``, the loop's C) is fitted on each encoder's own embeddings
  of the same training texts and scored on that encoder's test embeddings.
* **verdict**: the issue's rule, ``keep`` only when ``speedup`` >= 1.5 and every dataset's
  accuracy moves by at most 0.5 points; otherwise ``reject``.
"""

from __future__ import annotations

import copy
import statistics
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import now, read_jsonl
from benchmarks.encoder_pass import Tokenised, embed_tokens, load, tokenise

MIN_SPEEDUP = 1.5
MAX_POINTS = 0.5


def quantize_int8(encoder):
    """A copy of ``encoder`` whose ``nn.Linear`` layers are dynamically quantized to int8."""
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the eager-mode API's deprecation notice
        return torch.ao.quantization.quantize_dynamic(copy.deepcopy(encoder), {torch.nn.Linear},
                                                      dtype=torch.qint8)


def time_side_by_side(fp32, int8, tokens: Tokenised, rounds: int) -> dict[str, Any]:
    """Alternating timed passes of both encoders over the same token ids."""
    embed_tokens(fp32, tokens)
    embed_tokens(int8, tokens)
    seconds: dict[str, list[float]] = {"fp32": [], "int8": []}
    for r in range(rounds):
        order = (("fp32", fp32), ("int8", int8)) if r % 2 == 0 else (("int8", int8), ("fp32", fp32))
        for name, encoder in order:
            started = now()
            embed_tokens(encoder, tokens)
            seconds[name].append(now() - started)
    n = len(tokens.ids)
    fp32_median, int8_median = statistics.median(seconds["fp32"]), statistics.median(seconds["int8"])
    return {
        "texts": n, "rounds": rounds, "batch_size": tokens.batch_size,
        "fp32_s": [round(s, 3) for s in seconds["fp32"]], "int8_s": [round(s, 3) for s in seconds["int8"]],
        "fp32_texts_per_s": round(n / fp32_median, 1), "int8_texts_per_s": round(n / int8_median, 1),
        "speedup": round(fp32_median / int8_median, 3),
        "speedup_per_round_median": round(statistics.median(
            f / i for f, i in zip(seconds["fp32"], seconds["int8"])), 3),
    }


def head_accuracy(train_x, train_y, test_x, test_y, classes) -> tuple[float, np.ndarray]:
    """Test accuracy (percent) of the fast tier's head fitted on ``train_x``, and its predictions."""
    from annotator.services.training.scoring import HEAD_C
    from learner.head import EmbeddingHead

    head = EmbeddingHead(classes=classes, C=HEAD_C).fit(train_x, train_y)
    predicted = head.predict(test_x)
    return 100.0 * float(np.mean(predicted == np.asarray(test_y))), predicted


def dataset_accuracy(name: str, train: list[dict], test: list[dict], encoders: dict[str, Any], tokenizer, *,
                     train_texts: int, seeds: list[int], max_length: int, batch_size: int) -> dict[str, Any]:
    """fp32 and int8 heads on one dataset: accuracy per seed, mean, and the change in points."""
    test_tokens = tokenise(tokenizer, [str(r["text"]) for r in test], max_length=max_length,
                           batch_size=batch_size)
    test_y = [str(r["label"]) for r in test]
    classes = sorted({str(r["label"]) for r in train} | set(test_y))
    test_x = {name: embed_tokens(encoder, test_tokens) for name, encoder in encoders.items()}
    runs = []
    for seed in seeds:
        picked = np.random.default_rng(seed).choice(len(train), size=min(train_texts, len(train)), replace=False)
        rows = [train[i] for i in picked]
        tokens = tokenise(tokenizer, [str(r["text"]) for r in rows], max_length=max_length,
                          batch_size=batch_size)
        train_y = [str(r["label"]) for r in rows]
        run: dict[str, Any] = {"seed": seed}
        predictions = {}
        for kind, encoder in encoders.items():
            train_x = embed_tokens(encoder, tokens)
            run[f"{kind}_accuracy"], predictions[kind] = head_accuracy(train_x, train_y, test_x[kind],
                                                                        test_y, classes)
            run[f"{kind}_accuracy"] = round(run[f"{kind}_accuracy"], 2)
        run["change_points"] = round(run["int8_accuracy"] - run["fp32_accuracy"], 2)
        run["prediction_agreement"] = round(float(np.mean(predictions["fp32"] == predictions["int8"])), 4)
        runs.append(run)
    cosine = np.sum(test_x["fp32"] * test_x["int8"], axis=1)
    fp32_mean = statistics.mean(r["fp32_accuracy"] for r in runs)
    int8_mean = statistics.mean(r["int8_accuracy"] for r in runs)
    return {
        "dataset": name, "train_texts": min(train_texts, len(train)), "test_texts": len(test),
        "classes": len(classes), "runs": runs,
        "fp32_accuracy": round(fp32_mean, 2), "int8_accuracy": round(int8_mean, 2),
        "change_points": round(int8_mean - fp32_mean, 2),
        "max_abs_change_points": max(abs(r["change_points"]) for r in runs),
        "test_embedding_cosine_mean": round(float(cosine.mean()), 5),
        "test_embedding_cosine_min": round(float(cosine.min()), 5),
    }


def read_dataset(folder: str | Path) -> tuple[str, list[dict], list[dict]]:
    """``(name, train rows, test rows)`` of a benchmark dataset folder, read where it lies."""
    folder = Path(folder)
    return folder.name, read_jsonl(folder / "train.jsonl"), read_jsonl(folder / "test.jsonl")


def measure_int8(model: str | None, texts: list[str], datasets: list[tuple[str, list[dict], list[dict]]], *,
                 batch_size: int, max_length: int, rounds: int, train_texts: int = 500,
                 seeds: list[int] | None = None) -> dict[str, Any]:
    """Speed on ``texts`` and accuracy on each dataset, fp32 against int8; the issue's verdict."""
    import torch

    fp32, tokenizer = load(model)
    int8 = quantize_int8(fp32)
    speed = time_side_by_side(fp32, int8, tokenise(tokenizer, texts, max_length=max_length,
                                                   batch_size=batch_size), rounds)
    accuracy = [dataset_accuracy(name, train, test, {"fp32": fp32, "int8": int8}, tokenizer,
                                 train_texts=train_texts, seeds=seeds or [0], max_length=max_length,
                                 batch_size=batch_size)
                for name, train, test in datasets]
    fast_enough = speed["speedup"] >= MIN_SPEEDUP
    accurate = all(abs(a["change_points"]) <= MAX_POINTS for a in accuracy)
    return {
        "model": model or "default", "method": "torch.ao.quantization.quantize_dynamic(nn.Linear, qint8)",
        "quantized_engine": torch.backends.quantized.engine, "torch_threads": torch.get_num_threads(),
        "max_length": max_length, "speed": speed, "accuracy": accuracy,
        "rule": {"min_speedup": MIN_SPEEDUP, "max_abs_change_points": MAX_POINTS},
        "fast_enough": fast_enough, "accurate_enough": accurate,
        "verdict": "keep" if fast_enough and accurate else "reject",
    }
