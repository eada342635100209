"""FLOP/s: the machine's dense FP32 matrix-product throughput and the encoder's, side by side.

``labelloop bench speed --parts flops``. Two measures alternate round by round in one
process, so a shared machine's load falls on both alike:

* **matmul**: ``a @ b`` of two ``n x n`` float32 matrices (``torch.randn``, MKL sgemm at
  torch's default thread count), ``2 n^3`` FLOPs each, timed ``matmul_repeats`` times a
  round. Its best is the peak this machine reached; its median is its usual throughput.
* **encoder**: one embedding pass of the bare encoder over the texts (tokenised once, outside
  the timing), batched, padded and pooled as the worker embeds (:mod:`benchmarks.encoder_pass`).

How the encoder's FLOPs are counted, from the model's shapes and each batch's real shape: a
matrix product with a ``k x m`` weight costs ``2 k m`` FLOPs per token, so the linear layers
cost ``2 * W * tokens`` where ``W`` is the number of weights in the encoder's ``nn.Linear``
layers that act on every token (per BERT layer: query, key, value, output ``4 d^2`` and the
feed-forward ``2 d i``); attention adds, per layer and sequence of ``L`` tokens, ``2 L^2 d`` for
the scores ``Q K^T`` and ``2 L^2 d`` for the weighted sum of the values (``2 * 2 * L^2 * d``);
the pooler, when the model has one, is ``2 d^2`` per sequence. Layer norms, softmax, GELU,
bias additions and the embedding lookup are left out (a few FLOPs per value, not matrix work).
``padded`` counts what the batches computed (every row at its batch's padded length, which
is what the hardware did); ``real`` counts each text at its own length (the useful part).
The achieved FLOP/s is the padded count over the pass's time; ``fraction`` is the encoder's
median over the matmul's median (same rounds, same load), ``fraction_of_peak`` its median
over the matmul's best. Each round also times the feed-forward layer's product alone at the
median batch's shape (``rows x hidden`` by ``hidden x intermediate``, 20 times):
``ffn_gemm_median_gflops`` is what sgemm reaches at the sizes the encoder multiplies.
"""

from __future__ import annotations

import statistics
from typing import Any

from benchmarks.common import now
from benchmarks.encoder_pass import Tokenised, batch_shapes, embed_tokens, load, tokenise

FULL = {"matmul_n": 4096, "matmul_repeats": 3}
QUICK = {"matmul_n": 256, "matmul_repeats": 2}


def encoder_shape(encoder) -> dict[str, int]:
    """What the FLOP count needs: layers, hidden width, per-token linear weights, pooler weights."""
    import torch

    per_token = pooler = 0
    for name, module in encoder.named_modules():
        if isinstance(module, torch.nn.Linear):
            if name.split(".")[0] == "pooler":
                pooler += module.weight.numel()
            else:
                per_token += module.weight.numel()
    config = encoder.config
    return {"layers": config.num_hidden_layers, "hidden": config.hidden_size,
            "intermediate": getattr(config, "intermediate_size", 0),
            "linear_weights_per_token": per_token, "pooler_weights": pooler}


def sequence_flops(shape: dict[str, int], length: int) -> int:
    """FLOPs of one sequence of ``length`` tokens through the encoder (see the module notes)."""
    linear = 2 * shape["linear_weights_per_token"] * length
    attention = 2 * 2 * length * length * shape["hidden"] * shape["layers"]
    return linear + attention + 2 * shape["pooler_weights"]


def count_flops(shape: dict[str, int], tokens: Tokenised) -> dict[str, int]:
    """FLOPs of one pass: ``padded`` (each batch at its padded length) and ``real`` (each text at its own)."""
    padded = sum(rows * sequence_flops(shape, width) for rows, width, _ in batch_shapes(tokens))
    real = sum(sequence_flops(shape, len(ids)) for ids in tokens.ids)
    return {"padded": padded, "real": real,
            "padded_tokens": sum(rows * width for rows, width, _ in batch_shapes(tokens)),
            "real_tokens": sum(len(ids) for ids in tokens.ids)}


def time_matmul(n: int, repeats: int, *, inner: int | None = None, columns: int | None = None) -> list[float]:
    """Seconds of ``repeats`` float32 products of ``n x inner`` by ``inner x columns`` matrices (square
    ``n x n`` by default), after one untimed."""
    import torch

    generator = torch.Generator().manual_seed(0)
    a = torch.randn(n, inner or n, generator=generator, dtype=torch.float32)
    b = torch.randn(inner or n, columns or n, generator=generator, dtype=torch.float32)
    with torch.inference_mode():
        a @ b
        seconds = []
        for _ in range(repeats):
            started = now()
            a @ b
            seconds.append(now() - started)
    return seconds


def measure_flops(model: str | None, texts: list[str], *, batch_size: int, max_length: int, rounds: int,
                  matmul_n: int, matmul_repeats: int, threads: int | None = None) -> dict[str, Any]:
    """Alternate matmul and encoder rounds; the FLOP counts, throughputs and fractions (GFLOP/s).

    ``threads``: torch's intra-op threads for the whole measure (None: torch's default)."""
    from learner.devices import torch_threads

    with torch_threads(threads):
        return _measure(model, texts, batch_size=batch_size, max_length=max_length, rounds=rounds,
                        matmul_n=matmul_n, matmul_repeats=matmul_repeats)


def _measure(model: str | None, texts: list[str], *, batch_size: int, max_length: int, rounds: int,
             matmul_n: int, matmul_repeats: int) -> dict[str, Any]:
    import torch

    encoder, tokenizer = load(model)
    tokens = tokenise(tokenizer, texts, max_length=max_length, batch_size=batch_size)
    shape = encoder_shape(encoder)
    flops = count_flops(shape, tokens)
    # The feed-forward layer's product at the median batch's shape: what sgemm gives at the sizes
    # the encoder actually multiplies.
    ffn_rows = int(statistics.median(rows * width for rows, width, _ in batch_shapes(tokens)))
    ffn = {"n": ffn_rows, "inner": shape["hidden"], "columns": shape["intermediate"] or shape["hidden"]}
    embed_tokens(encoder, tokens)  # warm-up
    matmul_s: list[float] = []
    ffn_s: list[float] = []
    encoder_s: list[float] = []
    for _ in range(rounds):
        matmul_s.extend(time_matmul(matmul_n, matmul_repeats))
        ffn_s.extend(time_matmul(ffn["n"], 20, inner=ffn["inner"], columns=ffn["columns"]))
        started = now()
        embed_tokens(encoder, tokens)
        encoder_s.append(now() - started)
    ffn_g = statistics.median(2 * ffn["n"] * ffn["inner"] * ffn["columns"] / s / 1e9 for s in ffn_s)
    matmul_g = [2 * matmul_n ** 3 / s / 1e9 for s in matmul_s]
    encoder_g = [flops["padded"] / s / 1e9 for s in encoder_s]
    matmul_median, peak = statistics.median(matmul_g), max(matmul_g)
    encoder_median, encoder_best = statistics.median(encoder_g), max(encoder_g)
    n = len(texts)
    return {
        "model": model or "default", **shape, "texts": n, "batch_size": batch_size, "max_length": max_length,
        "rounds": rounds, "torch_threads": torch.get_num_threads(),
        "real_tokens": flops["real_tokens"], "padded_tokens": flops["padded_tokens"],
        "mean_tokens_per_text": round(flops["real_tokens"] / n, 2),
        "mflop_per_text": round(flops["padded"] / n / 1e6, 3),
        "real_mflop_per_text": round(flops["real"] / n / 1e6, 3),
        "matmul_n": matmul_n, "matmul_repeats": matmul_repeats,
        "matmul_gflops": [round(g, 2) for g in matmul_g],
        "peak_gflops": round(peak, 2), "matmul_median_gflops": round(matmul_median, 2),
        "encoder_s": [round(s, 4) for s in encoder_s],
        "encoder_gflops": [round(g, 3) for g in encoder_g],
        "encoder_median_gflops": round(encoder_median, 3), "encoder_best_gflops": round(encoder_best, 3),
        "encoder_real_median_gflops": round(encoder_median * flops["real"] / flops["padded"], 3),
        "texts_per_s": round(n / statistics.median(encoder_s), 1),
        "ffn_gemm_shape": [ffn["n"], ffn["inner"], ffn["columns"]],
        "ffn_gemm_median_gflops": round(ffn_g, 2),
        "fraction": round(encoder_median / matmul_median, 4),
        "fraction_of_peak": round(encoder_median / peak, 4),
    }
