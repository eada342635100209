#!/usr/bin/env python
"""Side measurement for the fast tier: test accuracy of the embedding head versus its C.

Uses a dataset folder prepared by ``labelloop bench curves --cache DIR`` (the
pool's cached base-model embeddings, the gold and test files), embeds the test
texts once, and fits ``learner.head.EmbeddingHead(C=...)`` on random samples
of n labels (several seeds), printing the mean test accuracy::

    python scripts/head_c_sweep.py /tmp/bench/cache/trec-default-poolall-testall --n 100,200,500 --c 1,10,100
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from pathlib import Path

import numpy as np


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("prepared", help="a dataset folder inside a --cache DIR (gold.jsonl, test.jsonl, base/)")
    parser.add_argument("--n", default="100,200,500", help="label counts")
    parser.add_argument("--c", default="1,10,100", help="values of C")
    parser.add_argument("--seeds", type=int, default=3, help="random samples per (n, C)")
    parser.add_argument("--json", default=None, help="write the results here")
    args = parser.parse_args(argv)

    from annotator.services.training.embeddings import load_embeddings
    from learner.classifier import TransformerClassifier
    from learner.head import EmbeddingHead

    folder = Path(args.prepared)
    ids, X = load_embeddings(folder / "base", 0)
    with sqlite3.connect(folder / "base" / "project.db") as conn:
        text = dict(conn.execute("SELECT id, text FROM examples"))
    gold = {}
    for line in (folder / "gold.jsonl").open(encoding="utf-8"):
        row = json.loads(line)
        gold[row["text"]] = row["label"]
    y = np.array([gold[text[int(i)]] for i in ids])
    test = [json.loads(line) for line in (folder / "test.jsonl").open(encoding="utf-8")]
    X_test = TransformerClassifier(classes=["a", "b"]).embed([r["text"] for r in test])
    y_test = np.array([r["label"] for r in test])
    classes = sorted(set(y) | set(y_test))
    results = []
    for n in [int(v) for v in args.n.split(",")]:
        for C in [float(v) for v in args.c.split(",")]:
            accuracies = []
            for seed in range(args.seeds):
                sample = np.random.default_rng(seed).permutation(len(y))[:n]
                head = EmbeddingHead(classes=classes, C=C).fit(X[sample], list(y[sample]))
                predicted = np.array(classes)[head.predict_proba(X_test).argmax(axis=1)]
                accuracies.append(float((predicted == y_test).mean()))
            results.append({"n": n, "C": C, "accuracy": round(float(np.mean(accuracies)), 4),
                            "seeds": args.seeds})
            print(f"n={n} C={C:g}: mean test accuracy {np.mean(accuracies):.4f} over {args.seeds} random samples",
                  flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps({"prepared": folder.name, "results": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
