"""One-command speed check of the learner on a GPU machine (also runs on CPU).

    python scripts/gpu_check.py [--model default|tiny|PATH] [--n 5000] [--train-n 500] [--epochs 3]

For fp32 and bf16 autocast it reports scoring throughput (texts/s over ``--n``
texts) and fine-tune time (``--epochs`` epochs over ``--train-n`` texts) for
the chosen model (default: all-MiniLM-L6-v2), as a table and as JSON.  bf16 is
skipped on CPU (bf16 autocast there is slow on most CPUs, and not the
deployment target).  Texts come from TREC when the shared datasets are
present, else from a generated corpus.  ``--model tiny`` builds the tiny test
BERT, so the script itself can be tested in seconds.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

TREC_CANDIDATES = (
    REPO / "shared/datasets/trec/train.jsonl",
    REPO.parent / "shared/datasets/trec/train.jsonl",
    Path("/work/shared/datasets/trec/train.jsonl"),
)


def load_texts(n: int, data: Path | None):
    path = data or next((p for p in TREC_CANDIDATES if p.exists()), None)
    if path is not None:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        pairs = [(r["text"], str(r["label"])) for r in rows]
        source = str(path)
    else:
        from benchmarks.tiny_bert import tiny_corpus

        pairs = tiny_corpus(2000)
        source = "generated (benchmarks.tiny_bert.tiny_corpus)"
    cycled = list(itertools.islice(itertools.cycle(pairs), n))
    return [t for t, _ in cycled], [y for _, y in cycled], source, pairs


def run_precision(model, precision, device, texts, train_texts, train_labels, classes, epochs, batch_size):
    import torch

    from learner.classifier import TransformerClassifier

    clf = TransformerClassifier(
        model=model, classes=classes, epochs=epochs, precision=precision, device=device, batch_size=batch_size
    )
    cuda = device.startswith("cuda")
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    clf.fit(train_texts, train_labels)
    fit_s = time.perf_counter() - start
    clf.predict_proba(texts[:64])  # warm-up (kernels, allocator)
    start = time.perf_counter()
    clf.predict_proba(texts)
    score_s = time.perf_counter() - start
    start = time.perf_counter()
    clf.predict_proba_and_embed(texts)
    both_s = time.perf_counter() - start
    row = {
        "precision": precision,
        "scoring_texts_per_s": len(texts) / score_s,
        "proba_and_embed_texts_per_s": len(texts) / both_s,
        "finetune_seconds": fit_s,
        "train_loop_seconds": clf.history_[-1]["seconds"],
        "steps": clf.history_[-1]["steps"],
        "final_loss": clf.history_[-1]["loss"],
    }
    if cuda:
        row["peak_gpu_mem_mib"] = torch.cuda.max_memory_allocated() / 2**20
    return row


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description="Scoring throughput and fine-tune time, bf16 versus fp32.")
    parser.add_argument("--model", default="default", help="'default' (MiniLM), 'tiny', a folder or a hub name")
    parser.add_argument("--n", type=int, default=5000, help="texts to score")
    parser.add_argument("--train-n", type=int, default=500, help="texts to fine-tune on")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32, help="inference batch (x8 on CUDA)")
    parser.add_argument("--device", default=None, help="cuda, cpu, ... (default: cuda when available)")
    parser.add_argument("--data", type=Path, default=None, help="JSONL with text,label")
    parser.add_argument("--json", type=Path, default=None, help="also write the JSON report here")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    args = parser.parse_args(argv)

    if args.threads:
        import torch

        torch.set_num_threads(args.threads)

    from learner.devices import bf16_supported, describe, resolve_device

    device = resolve_device(args.device)
    texts, _, source, pairs = load_texts(args.n, args.data)
    train_texts, train_labels = [t for t, _ in pairs[: args.train_n]], [y for _, y in pairs[: args.train_n]]
    classes = sorted({y for _, y in pairs})
    report = {"device": describe(device), "model": args.model, "data": source, "n": len(texts),
              "train_n": len(train_texts), "epochs": args.epochs, "results": [], "skipped": {}}
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model
        if model == "tiny":
            from benchmarks.tiny_bert import build_tiny_bert

            model = str(build_tiny_bert(Path(tmp) / "tiny"))
        for precision in ("fp32", "bf16"):
            if precision == "bf16" and not bf16_supported(device):
                report["skipped"][precision] = f"bf16 autocast needs a CUDA GPU with bf16 (device is {device})"
                continue
            report["results"].append(
                run_precision(model, precision, str(device), texts, train_texts, train_labels, classes,
                              args.epochs, args.batch_size)
            )
    by = {r["precision"]: r for r in report["results"]}
    if "fp32" in by and "bf16" in by:
        report["bf16_speedup"] = {
            "scoring": by["bf16"]["scoring_texts_per_s"] / by["fp32"]["scoring_texts_per_s"],
            "finetune": by["fp32"]["finetune_seconds"] / by["bf16"]["finetune_seconds"],
        }

    print(f"device: {report['device']}  model: {args.model}  data: {source}")
    print(f"{'precision':10s} {'score texts/s':>14s} {'+embed texts/s':>15s} {'fine-tune s':>12s} {'steps':>6s}")
    for r in report["results"]:
        print(f"{r['precision']:10s} {r['scoring_texts_per_s']:14.1f} {r['proba_and_embed_texts_per_s']:15.1f} "
              f"{r['finetune_seconds']:12.1f} {r['steps']:6d}")
    for precision, why in report["skipped"].items():
        print(f"{precision:10s} skipped: {why}")
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return report


if __name__ == "__main__":
    main()
