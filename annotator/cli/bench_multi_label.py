"""labelloop bench multilabel: the multi-label fast tier's learning curves, strategies against random."""

from __future__ import annotations

import argparse

from annotator.config import STRATEGY_NAMES
from annotator.errors import InputError


def add_part(parts: argparse._SubParsersAction, outputs) -> None:
    """Register ``bench multilabel`` among the ``bench`` parts (``outputs`` adds --json and the like)."""
    part = parts.add_parser(
        "multilabel",
        help="multi-label learning curves of the fast tier (strategies against random)",
        description="On a folder with train.jsonl and test.jsonl of {\"text\", \"labels\": [...]} rows: a "
                    "seeded pool of --pool train texts, embedded once; k-means cold start, then the "
                    "one-vs-rest head with cross-validated thresholds refit every --batch labels and "
                    "scored on test.jsonl (micro-F1, macro-F1, subset accuracy) until --budget labels.",
        epilog="Example:\n  labelloop bench multilabel --data ../shared/datasets/goemotions --pool 3000 "
               "--strategies margin,least_confidence,random --seeds 0,1,2 --cache /tmp/ge --json ml.json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    part.add_argument("--data", metavar="DIR", required=True, help="dataset folder (train.jsonl, test.jsonl)")
    part.add_argument("--strategies", default="margin,least_confidence,random",
                      help=f"comma-separated strategies, of {', '.join(STRATEGY_NAMES)} (default: "
                           "margin,least_confidence,random)")
    part.add_argument("--seeds", default="0", help="comma-separated seeds (default: 0)")
    part.add_argument("--pool", type=int, default=3000, help="train texts in the pool (default 3000)")
    part.add_argument("--budget", type=int, default=500, help="labels per run (default 500)")
    part.add_argument("--batch", type=int, default=25, help="labels between refits (default 25)")
    part.add_argument("--test-limit", type=int, default=None, help="use only the first N test rows")
    part.add_argument("--model", default=None, help="base encoder (default: all-MiniLM-L6-v2)")
    part.add_argument("--cache", metavar="DIR", default=".bench-cache",
                      help="where the embeddings are kept and reused (default: .bench-cache)")
    part.add_argument("--split", default="test", choices=("test", "dev"),
                      help="score on test.jsonl (default, for reporting) or on dev.jsonl (for choosing a "
                           "default: test.jsonl is then never read)")
    part.add_argument("--label-prior", action="store_true",
                      help="each label's name, embedded, as one example of it in every fit")
    part.add_argument("--at-least-one", action="store_true",
                      help="predict the label closest to its threshold for a text that would get none")
    outputs(part)
    part.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from annotator.cli.commands.bench import _finish, _part

    strategies = [name.strip() for name in args.strategies.split(",") if name.strip()]
    unknown = [name for name in strategies if name not in STRATEGY_NAMES]
    if unknown:
        raise InputError(f"--strategies: unknown strategy {unknown[0]!r} (choose from {', '.join(STRATEGY_NAMES)})")
    try:
        seeds = [int(seed) for seed in args.seeds.split(",")]
    except ValueError:
        raise InputError(f"--seeds: expected a comma list of whole numbers, got {args.seeds!r}") from None
    bench = _part("multi_label")
    result = bench.run_benchmark(
        Path(args.data), strategies=strategies, seeds=seeds, pool=args.pool, budget=args.budget, batch=args.batch,
        cache=Path(args.cache), model=args.model, label_prior=args.label_prior, at_least_one=args.at_least_one,
        test_limit=args.test_limit, split=args.split,
    )
    return _finish(result, args, lambda result, path: None, bench.markdown_table(result))
