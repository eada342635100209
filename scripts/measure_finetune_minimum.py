#!/usr/bin/env python
"""How many labels per class before a BERT fine-tune helps: the default of ``finetune_min_per_class``.

For each dataset and each k, draws k gold labels of every class (seeded), and
compares on the test set the fast head on the base encoder with the head on the
encoder after one fine-tune from the base model with the product's recipe
(``annotator.services.training.models.new_classifier`` defaults: 3 epochs, lr 5e-5) — the
first fine-tune a project runs::

    python scripts/measure_finetune_minimum.py --data ../shared/datasets/trec ../shared/datasets/sms_spam \\
        --k 2,4,8,16 --seeds 0,1,2 --json docs/bench/finetune_minimum.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np


def read(path: Path, limit: int | None = None) -> tuple[list[str], list[str]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = rows[:limit] if limit else rows
    return [r["text"] for r in rows], [r["label"] for r in rows]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", nargs="+", required=True, help="dataset folders (train.jsonl, test.jsonl)")
    parser.add_argument("--k", default="2,4,8,16", help="labels per class")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--test-limit", type=int, default=None, help="use only the first N test texts")
    parser.add_argument("--model", default=None, help="base model (default: all-MiniLM-L6-v2)")
    parser.add_argument("--json", default=None, help="write the results here")
    args = parser.parse_args(argv)

    from annotator.services.training.scoring import HEAD_C
    from learner.classifier import TransformerClassifier
    from learner.head import EmbeddingHead

    ks = [int(k) for k in args.k.split(",")]
    seeds = [int(s) for s in args.seeds.split(",")]
    results = {"k": ks, "seeds": seeds, "datasets": {}}
    for folder in map(Path, args.data):
        train_texts, train_labels = read(folder / "train.jsonl")
        test_texts, test_labels = read(folder / "test.jsonl", args.test_limit)
        classes = sorted(set(train_labels))
        base = TransformerClassifier(model=args.model, classes=classes, seed=0)
        test_base = base.embed(test_texts)
        by_class = {c: [i for i, y in enumerate(train_labels) if y == c] for c in classes}
        rows = []
        for k in ks:
            for seed in seeds:
                rng = np.random.default_rng(seed)
                picks = [int(i) for c in classes for i in rng.choice(by_class[c], min(k, len(by_class[c])),
                                                                         replace=False)]
                texts = [train_texts[i] for i in picks]
                labels = [train_labels[i] for i in picks]
                head = EmbeddingHead(classes=classes, C=HEAD_C).fit(base.embed(texts), labels)
                base_acc = float(np.mean(head.predict(test_base) == np.asarray(test_labels)))
                started = time.perf_counter()
                tuned = TransformerClassifier(model=args.model, classes=classes, seed=seed).fit(texts, labels)
                train_s = time.perf_counter() - started
                tuned_head = EmbeddingHead(classes=classes, C=HEAD_C).fit(tuned.embed(texts), labels)
                tuned_acc = float(np.mean(tuned_head.predict(tuned.embed(test_texts)) == np.asarray(test_labels)))
                row = {"k": k, "seed": seed, "n": len(picks), "head_base": base_acc, "head_finetuned": tuned_acc,
                       "train_s": round(train_s, 2)}
                rows.append(row)
                print(f"[{folder.name}] k={k} seed={seed}: base head {base_acc:.4f}, "
                      f"after fine-tune {tuned_acc:.4f} ({train_s:.1f} s)", file=sys.stderr, flush=True)
        summary = []
        for k in ks:
            mine = [r for r in rows if r["k"] == k]
            gain = [r["head_finetuned"] - r["head_base"] for r in mine]
            summary.append({"k": k, "head_base": float(np.mean([r["head_base"] for r in mine])),
                            "head_finetuned": float(np.mean([r["head_finetuned"] for r in mine])),
                            "gain": float(np.mean(gain)), "gain_min": float(np.min(gain))})
        results["datasets"][folder.name] = {"n_test": len(test_texts), "classes": classes, "runs": rows,
                                            "summary": summary}
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=2))
    for name, data in results["datasets"].items():
        print(f"\n{name} (test {data['n_test']})")
        print("| k per class | head, base encoder | head, fine-tuned | gain | worst seed |")
        print("|---|---|---|---|---|")
        for s in data["summary"]:
            print(f"| {s['k']} | {100 * s['head_base']:.1f} | {100 * s['head_finetuned']:.1f} | "
                  f"{100 * s['gain']:+.1f} | {100 * s['gain_min']:+.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
