"""Measure the learner on this machine, in one run, and print the figures.

    python scripts/measure_learner.py [--data PATH] [--model default] [--repeats 2]

1. Fine-tune time: 3 epochs over 500 TREC texts (default model).
2. Scoring throughput over all TREC training texts (5,452): our
   ``predict_proba`` versus a plain ``transformers.pipeline("text-classification")``
   on the same saved folder with the same batch size, alternated ``--repeats``
   times so both sides see the same machine load; best run of each.
3. Fast tier: ``EmbeddingHead`` retrain time on 500 labelled embeddings, and
   scoring/query times over the whole pool.

Prints a readable table and a JSON object (also written to ``--json`` if given).
Ratios matter more than absolute numbers on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def find_trec() -> Path:
    for candidate in (REPO / "shared/datasets/trec/train.jsonl", REPO.parent / "shared/datasets/trec/train.jsonl",
                      Path("/work/shared/datasets/trec/train.jsonl")):
        if candidate.exists():
            return candidate
    raise SystemExit("TREC train.jsonl not found; pass --data")


def read_jsonl(path: Path):
    texts, labels = [], []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                texts.append(row["text"])
                labels.append(str(row["label"]))
    return texts, labels


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="JSONL with text,label (default: TREC train)")
    parser.add_argument("--model", default="default", help="encoder: 'default' (MiniLM), a folder or a hub name")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--train-n", type=int, default=500)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None, help="score only the first N texts (smoke runs)")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    args = parser.parse_args(argv)

    import numpy as np
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    from transformers import pipeline

    from learner.classifier import TransformerClassifier
    from learner.head import EmbeddingHead
    from learner.strategies import get_strategy, uncertainty_scores

    data = args.data or find_trec()
    texts, labels = read_jsonl(data)
    if args.limit:
        texts, labels = texts[: args.limit], labels[: args.limit]
    classes = sorted(set(labels))
    rng = np.random.default_rng(0)
    train_idx = rng.choice(len(texts), size=min(args.train_n, len(texts)), replace=False)
    train_texts = [texts[i] for i in train_idx]
    train_labels = [labels[i] for i in train_idx]
    report = {
        "data": str(data), "n_texts": len(texts), "classes": classes, "model": args.model,
        "batch_size": args.batch_size, "torch_threads": torch.get_num_threads(), "cpus": os.cpu_count(),
        "load_avg_start": os.getloadavg(),
    }

    # 1. fine-tune
    clf = TransformerClassifier(model=args.model, classes=classes, epochs=args.epochs, batch_size=args.batch_size)
    _, fit_s = timed(clf.fit, train_texts, train_labels)
    report["finetune"] = {
        "n": len(train_texts), "epochs": args.epochs, "steps": clf.history_[-1]["steps"],
        "seconds_total": fit_s, "seconds_train_loop": clf.history_[-1]["seconds"],
        "final_loss": clf.history_[-1]["loss"],
    }
    print(f"fine-tune: {fit_s:.1f} s ({report['finetune']['steps']} steps)", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        folder = clf.save(Path(tmp) / "v1")
        ours = TransformerClassifier.load(folder)
        ours.batch_size = args.batch_size
        pipe = pipeline("text-classification", model=str(folder), batch_size=args.batch_size, device=-1)
        ours.predict_proba(texts[:64])  # warm-up both sides
        pipe(texts[:64])
        ours_s, pipe_s = [], []
        for r in range(args.repeats):
            proba, s = timed(ours.predict_proba, texts)
            ours_s.append(s)
            out, s = timed(pipe, texts)
            pipe_s.append(s)
            print(f"scoring run {r + 1}: ours {len(texts) / ours_s[-1]:.0f} texts/s, "
                  f"pipeline {len(texts) / pipe_s[-1]:.0f} texts/s", flush=True)
        agree = float(np.mean(np.asarray([o["label"] for o in out]) == ours.classes_[proba.argmax(1)]))
        (both, emb), both_s = timed(ours.predict_proba_and_embed, texts)
    best_ours, best_pipe = min(ours_s), min(pipe_s)
    report["scoring"] = {
        "ours_texts_per_s": len(texts) / best_ours, "pipeline_texts_per_s": len(texts) / best_pipe,
        "ratio": best_pipe / best_ours, "ours_seconds": ours_s, "pipeline_seconds": pipe_s,
        "median_ratio": statistics.median(pipe_s) / statistics.median(ours_s),
        "top_label_agreement": agree,
        "proba_and_embed_texts_per_s": len(texts) / both_s,
    }

    # 3. fast tier on 500 labelled embeddings
    labelled = emb[train_idx]
    head = EmbeddingHead(classes=classes)
    fits = [timed(head.fit, labelled, train_labels)[1] for _ in range(5)]
    pool_proba, score_s = timed(head.predict_proba, emb)
    _, lc_s = timed(uncertainty_scores, "least_confidence", pool_proba)
    _, diverse_s = timed(get_strategy("diverse"), head, emb, 20, random_state=0)
    report["fast_head"] = {
        "n_labelled": len(labelled), "dim": int(emb.shape[1]),
        "fit_seconds_median": statistics.median(fits), "fit_seconds_all": fits,
        "pool_predict_proba_seconds": score_s, "pool_least_confidence_seconds": lc_s,
        "diverse_query_20_seconds": diverse_s,
        "pool_accuracy_vs_gold": float(np.mean(head.predict(emb) == np.asarray(labels))),
    }
    report["load_avg_end"] = os.getloadavg()

    sc, ft, fh = report["scoring"], report["finetune"], report["fast_head"]
    print()
    print(f"data: {data} ({len(texts)} texts), model: {args.model}, threads: {report['torch_threads']}")
    print(f"{'measure':44s} {'value':>12s}")
    print(f"{'scoring, ours (texts/s)':44s} {sc['ours_texts_per_s']:12.1f}")
    print(f"{'scoring, plain pipeline (texts/s)':44s} {sc['pipeline_texts_per_s']:12.1f}")
    print(f"{'speed-up (best / median)':44s} {sc['ratio']:7.2f} / {sc['median_ratio']:.2f}")
    print(f"{'proba + embeddings, one pass (texts/s)':44s} {sc['proba_and_embed_texts_per_s']:12.1f}")
    print(f"{'top-label agreement with pipeline':44s} {sc['top_label_agreement']:12.4f}")
    label = f"fine-tune {ft['epochs']} epochs x {ft['n']} texts (s)"
    print(f"{label:44s} {ft['seconds_total']:12.1f}")
    print(f"{'fast head fit, 500 embeddings (s, median)':44s} {fh['fit_seconds_median']:12.3f}")
    print(f"{'fast head predict_proba, whole pool (s)':44s} {fh['pool_predict_proba_seconds']:12.3f}")
    print(f"{'diverse query of 20 over the pool (s)':44s} {fh['diverse_query_20_seconds']:12.3f}")
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return report


if __name__ == "__main__":
    main()
