"""Multi-label: the fast tier against the fine-tuned tier on the same labeled texts.

For each label count n: the first n texts of a seeded permutation of the pool (random order: the
same labeled set for both tiers), their gold sets, and

* fast: ``MultiLabelHead`` (C=10, cross-validated thresholds) on the base encoder's embeddings;
* fine-tuned: ``TransformerClassifier`` fitted on the sets with the project defaults (mean_head,
  3 epochs, at least 150 steps, max_length 128; sigmoid per label, binary cross-entropy), then the
  same head refit on its embeddings, as ``services.training.label_set_finetune`` publishes it.

Both are scored on the test rows (micro-F1, macro-F1, subset accuracy, Hamming loss); the network's
own sigmoids at 0.5 are reported beside. One JSON line per label count.

Example:
    python scripts/measure_multi_label_tiers.py --data ../shared/datasets/goemotions --pool 3000 \\
        --test-limit 1000 --labels 100,200,500 --json docs/bench/multilabel_goemotions_tiers.jsonl
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from learner.classifier import TransformerClassifier
from learner.multi_label_head import MultiLabelHead
from learner.multi_label_metrics import evaluate_sets

METRICS = ("micro_f1", "macro_f1", "subset_accuracy", "hamming_loss")


def read_rows(path, limit):
    with open(path, encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    return rows[:limit] if limit else rows


def figures(test_sets, predicted, classes, names=METRICS):
    result = evaluate_sets(test_sets, predicted, classes)
    return {name: round(float(result[name]), 4) for name in names}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="folder with train.jsonl and test.jsonl of {text, labels}")
    parser.add_argument("--pool", type=int, default=3000, help="first N train rows form the pool (default 3000)")
    parser.add_argument("--test-limit", type=int, default=1000, help="first N test rows (default 1000)")
    parser.add_argument("--labels", default="100,200,500", help="comma list of label counts")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", default=None, help="base model (default: the project default)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--min-steps", type=int, default=150, help="fine-tune steps at least (default 150)")
    parser.add_argument("--json", required=True, help="JSON lines out (appended)")
    args = parser.parse_args(argv)

    rows = read_rows(f"{args.data}/train.jsonl", args.pool)
    test = read_rows(f"{args.data}/test.jsonl", args.test_limit)
    classes = sorted({str(name) for row in rows + test for name in row["labels"]})
    sizes = sorted(int(n) for n in args.labels.split(","))
    order = np.random.default_rng(args.seed).permutation(len(rows))
    chosen = [rows[i] for i in order[:max(sizes)]]
    test_texts, test_sets = [row["text"] for row in test], [row["labels"] for row in test]
    base = TransformerClassifier(model=args.model, classes=classes, seed=args.seed, num_threads=args.threads)
    base_train, base_test = base.embed([row["text"] for row in chosen]), base.embed(test_texts)
    with open(args.json, "a", encoding="utf-8") as out:
        for n in sizes:
            texts, sets = [row["text"] for row in chosen[:n]], [row["labels"] for row in chosen[:n]]
            fast = MultiLabelHead(classes=classes, C=10.0, random_state=args.seed).fit(base_train[:n], sets)
            started = time.perf_counter()
            clf = TransformerClassifier(model=args.model, classes=classes, seed=args.seed, num_threads=args.threads,
                                        epochs=3, min_steps=args.min_steps, objective="mean_head",
                                        max_length=128).fit(texts, sets)
            train_s = time.perf_counter() - started
            tuned = MultiLabelHead(classes=classes, C=10.0, random_state=args.seed).fit(clf.embed(texts), sets)
            point = {"labels": n, "fast": figures(test_sets, fast.predict(base_test), classes),
                     "finetuned": figures(test_sets, tuned.predict(clf.embed(test_texts)), classes),
                     "finetuned_network_at_0.5": figures(test_sets, clf.predict(test_texts), classes,
                                                         ("micro_f1", "macro_f1", "subset_accuracy")),
                     "train_s": round(train_s, 1), "pool": len(rows), "test": len(test), "seed": args.seed}
            print(json.dumps(point), flush=True)
            out.write(json.dumps(point) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
