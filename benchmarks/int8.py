"""int8 embedding on the CPU against fp32: speed and accuracy, with the issue's verdict.

``labelloop bench speed --parts int8 --data DIR [--data DIR] [--int8-backends torch,ort]``.
Variants of one fp32 encoder, all fed the same token ids through the same batching and pooling
(:mod:`benchmarks.encoder_pass`):

* ``torch_fp32``: the encoder as the worker runs it (the reference);
* ``torch_int8`` (backend ``torch``): a copy whose ``nn.Linear`` layers are dynamically
  quantized (``torch.ao.quantization.quantize_dynamic``, ``qint8`` weights, activations
  quantized per batch; attention's own products, layer norms and GELU stay fp32);
* ``ort_fp32`` and ``ort_int8`` (backend ``ort``, optional, :mod:`benchmarks.onnx_encoder`):
  the encoder exported to ONNX and run by ONNX Runtime, as is and dynamically quantized.

* **speed**: after a warm-up of each, the variants' passes over the same texts alternate for
  ``rounds`` rounds (the order reversed every other round); texts/s from the medians,
  ``speedup`` = ``torch_fp32``'s median over the variant's, and the median of the per-round
  ratios.
* **accuracy**: per dataset folder (``train.jsonl``, ``test.jsonl``), ``train_texts`` training
  texts drawn at random (per seed) and the whole test split are embedded by every variant; the
  fast tier's head (``EmbeddingHead``, the loop's C) is fitted on each variant's own embeddings
  of the same training texts and scored on that variant's test embeddings.
* **verdict**, per int8 variant, the issue's rule against today's path (``torch_fp32``):
  ``keep`` only when it is at least 1.5x faster and every dataset's accuracy (mean over the
  seeds) moves by at most 0.5 points; otherwise ``reject``.
"""

from __future__ import annotations

import copy
import statistics
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from annotator.errors import InputError
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


REFERENCE = "torch_fp32"
BACKENDS = ("torch", "ort")


def variants(fp32, backends: tuple[str, ...], folder: Path) -> dict[str, Any]:
    """The encoders compared: ``torch_fp32`` always, then each backend's."""
    import torch

    unknown = [b for b in backends if b not in BACKENDS]
    if unknown:
        raise InputError(f"unknown int8 backend {unknown[0]!r}: choose from {', '.join(BACKENDS)}")
    encoders: dict[str, Any] = {REFERENCE: fp32}
    if "torch" in backends:
        encoders["torch_int8"] = quantize_int8(fp32)
    if "ort" in backends:
        from benchmarks.onnx_encoder import onnx_variants

        encoders.update(onnx_variants(fp32, folder, torch.get_num_threads()))
    return encoders


def time_side_by_side(encoders: dict[str, Any], tokens: Tokenised, rounds: int) -> dict[str, Any]:
    """Alternating timed passes of every encoder over the same token ids."""
    names = list(encoders)
    for name in names:
        embed_tokens(encoders[name], tokens)
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        for name in names if r % 2 == 0 else names[::-1]:
            started = now()
            embed_tokens(encoders[name], tokens)
            seconds[name].append(now() - started)
    n = len(tokens.ids)
    medians = {name: statistics.median(times) for name, times in seconds.items()}
    reference = seconds[REFERENCE]
    return {
        "texts": n, "rounds": rounds, "batch_size": tokens.batch_size,
        "seconds": {name: [round(t, 3) for t in times] for name, times in seconds.items()},
        "texts_per_s": {name: round(n / m, 1) for name, m in medians.items()},
        "speedup": {name: round(medians[REFERENCE] / m, 3) for name, m in medians.items()},
        "speedup_per_round_median": {name: round(statistics.median(f / t for f, t in zip(reference, times)), 3)
                                     for name, times in seconds.items()},
    }


def head_accuracy(train_x, train_y, test_x, test_y, classes) -> tuple[float, np.ndarray]:
    """Test accuracy (percent) of the fast tier's head fitted on ``train_x``, and its predictions."""
    from annotator.services.training.scoring import HEAD_C
    from learner.head import EmbeddingHead

    head = EmbeddingHead(classes=classes, C=HEAD_C).fit(train_x, train_y)
    predicted = head.predict(test_x)
    return 100.0 * float(np.mean(predicted == np.asarray(test_y))), predicted


def _tokens(tokenizer, rows: list[dict], *, max_length: int, batch_size: int) -> Tokenised:
    return tokenise(tokenizer, [str(r["text"]) for r in rows], max_length=max_length, batch_size=batch_size)


def dataset_accuracy(name: str, train: list[dict], test: list[dict], encoders: dict[str, Any], tokenizer, *,
                     train_texts: int, seeds: list[int], max_length: int, batch_size: int) -> dict[str, Any]:
    """Every variant's head on one dataset: accuracy per seed and mean, the change against the reference."""
    test_y = [str(r["label"]) for r in test]
    classes = sorted({str(r["label"]) for r in train} | set(test_y))
    test_tokens = _tokens(tokenizer, test, max_length=max_length, batch_size=batch_size)
    test_x = {kind: embed_tokens(encoder, test_tokens) for kind, encoder in encoders.items()}
    runs = []
    for seed in seeds:
        picked = np.random.default_rng(seed).choice(len(train), size=min(train_texts, len(train)), replace=False)
        rows = [train[i] for i in picked]
        tokens = _tokens(tokenizer, rows, max_length=max_length, batch_size=batch_size)
        train_y = [str(r["label"]) for r in rows]
        accuracy, predictions = {}, {}
        for kind, encoder in encoders.items():
            score, predictions[kind] = head_accuracy(embed_tokens(encoder, tokens), train_y, test_x[kind],
                                                     test_y, classes)
            accuracy[kind] = round(score, 2)
        runs.append({"seed": seed, "accuracy": accuracy,
                     "agreement": {kind: round(float(np.mean(p == predictions[REFERENCE])), 4)
                                   for kind, p in predictions.items()}})
    means = {kind: statistics.mean(run["accuracy"][kind] for run in runs) for kind in encoders}
    cosine = {kind: np.sum(x * test_x[REFERENCE], axis=1) for kind, x in test_x.items()}
    return {
        "dataset": name, "train_texts": min(train_texts, len(train)), "test_texts": len(test),
        "classes": len(classes), "seeds": list(seeds), "runs": runs,
        "accuracy": {kind: round(m, 2) for kind, m in means.items()},
        "change_points": {kind: round(m - means[REFERENCE], 2) for kind, m in means.items()},
        "test_cosine_mean": {kind: round(float(c.mean()), 5) for kind, c in cosine.items()},
        "test_cosine_min": {kind: round(float(c.min()), 5) for kind, c in cosine.items()},
    }


def read_dataset(folder: str | Path) -> tuple[str, list[dict], list[dict]]:
    """``(name, train rows, test rows)`` of a benchmark dataset folder, read where it lies."""
    folder = Path(folder)
    return folder.name, read_jsonl(folder / "train.jsonl"), read_jsonl(folder / "test.jsonl")


def verdicts(speed: dict[str, Any], accuracy: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The issue's rule for each int8 variant against the reference."""
    out = {}
    for kind in speed["speedup"]:
        if not kind.endswith("int8"):
            continue
        worst = max(abs(row["change_points"][kind]) for row in accuracy)
        fast, accurate = speed["speedup"][kind] >= MIN_SPEEDUP, worst <= MAX_POINTS
        out[kind] = {"speedup": speed["speedup"][kind], "max_abs_change_points": worst, "fast_enough": fast,
                     "accurate_enough": accurate, "verdict": "keep" if fast and accurate else "reject"}
    return out


def measure_int8(model: str | None, texts: list[str], datasets: list[tuple[str, list[dict], list[dict]]], *,
                 batch_size: int, max_length: int, rounds: int, folder: Path, train_texts: int = 500,
                 seeds: list[int] | None = None, backends: tuple[str, ...] = ("torch",)) -> dict[str, Any]:
    """Speed on ``texts`` and accuracy on each dataset, every variant against ``torch_fp32``; the verdicts."""
    import torch

    fp32, tokenizer = load(model)
    encoders = variants(fp32, backends, folder)
    speed = time_side_by_side(encoders, tokenise(tokenizer, texts, max_length=max_length, batch_size=batch_size),
                              rounds)
    accuracy = [dataset_accuracy(name, train, test, encoders, tokenizer, train_texts=train_texts,
                                 seeds=seeds or [0], max_length=max_length, batch_size=batch_size)
                for name, train, test in datasets]
    return {
        "model": model or "default", "variants": list(encoders), "reference": REFERENCE,
        "quantized_engine": torch.backends.quantized.engine, "torch_threads": torch.get_num_threads(),
        "max_length": max_length, "speed": speed, "accuracy": accuracy,
        "rule": {"min_speedup": MIN_SPEEDUP, "max_abs_change_points": MAX_POINTS},
        "verdicts": verdicts(speed, accuracy),
    }
