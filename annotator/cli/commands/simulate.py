"""labelloop simulate --project DIR --gold FILE --test FILE --budget N --batch B --strategy S --seed K"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from annotator.cli.options import add_project_option
from annotator.config import STRATEGY_NAMES, resolve_project_dir


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="measure active learning with a simulated annotator answering from gold labels",
        description="A simulated annotator labels the queue from a gold file through the same queue, "
        "store and worker code as the UI; after every batch the ranking is refreshed (and the model "
        "fine-tuned every F labels) and the current model is evaluated on the test file.",
        epilog="Example:\n  labelloop simulate --project sim --gold train.jsonl --test test.jsonl --budget 500 "
        "--batch 25 --strategy margin --finetune-every 0\n"
        "  (gold rows {\"text\", \"labels\": [...]}: a multi-label project; points carry micro_f1, macro_f1, "
        "subset_accuracy)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_project_option(parser)
    parser.add_argument("--gold", required=True, metavar="FILE",
                        help="file with text and label columns (answers; pool if the project is empty); a "
                        "labels column of lists instead runs a multi-label project")
    parser.add_argument("--test", required=True, metavar="FILE",
                        help="held-out file with text and label (or labels) columns")
    parser.add_argument("--budget", type=int, required=True, metavar="N", help="labels to give in total")
    parser.add_argument("--batch", type=int, required=True, metavar="B", help="labels between refreshes")
    parser.add_argument("--strategy", required=True, choices=STRATEGY_NAMES, help="query strategy")
    parser.add_argument("--seed", type=int, default=0, metavar="K", help="random seed (default 0)")
    parser.add_argument("--finetune-every", type=int, default=None, metavar="F",
                        help="fine-tune every F labels (default: the project setting; 0 = never)")
    parser.add_argument("--model", default=None, metavar="M", help="base model (default: the project setting)")
    parser.add_argument("--json", default=None, metavar="OUT", help="write the learning curve as JSON here")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", stream=sys.stderr)
    from annotator.services.simulate import simulate  # imports torch

    result = simulate(
        resolve_project_dir(args.project), args.gold, args.test, budget=args.budget, batch=args.batch,
        strategy=args.strategy, seed=args.seed, finetune_every=args.finetune_every, model=args.model,
    )
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    last = result["curve"][-1] if result["curve"] else {}
    if "micro_f1" in last:  # a multi-label run: its accuracy is the subset accuracy, and so is the AUC's
        figures = (f"micro-F1 {last['micro_f1']:.4f}, macro-F1 {last['macro_f1']:.4f}, subset accuracy "
                   f"{last['accuracy']:.4f}, auc (subset accuracy) {result['auc']:.4f}")
    else:
        figures = f"accuracy {last.get('accuracy', 0):.4f}, auc {result['auc']:.4f}"
    print(f"{args.strategy} seed {args.seed}: {last.get('labels', 0)} labels, {figures}, {result['total_s']:.1f}s")
    return 0
