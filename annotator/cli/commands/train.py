"""labelloop train --project DIR"""

from __future__ import annotations

import argparse
import json
import sys

from annotator.cli.options import add_project_option, progress_bar
from annotator.config import resolve_project_dir
from annotator.services.projects import open_project
from annotator.services.training.lock import worker_lock


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train",
        help="fine-tune the classifier once, in the foreground, and publish a new version",
        description="One fine-tune cycle on the current labels (progress on stderr); prints the new "
        "version and its metrics on the reserved evaluation items. Refuses while a worker runs.",
    )
    add_project_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    project_dir = resolve_project_dir(args.project)
    open_project(project_dir).close()
    with worker_lock(project_dir):  # refuse while a worker runs, before the slow torch import
        from annotator.services.training.train import train_once  # imports torch

        result = train_once(project_dir, progress=progress_bar)
    sys.stderr.write("\n")
    shown = ("accuracy", "micro_f1", "macro_f1", "subset_accuracy", "n_eval", "n_train")  # micro_f1...: label sets
    metrics = {k: v for k, v in result.metrics.items() if k in shown}
    print(f"published v{result.version} (finetune, train {result.train_s:.1f}s, "
          f"score {result.score_s:.1f}s) metrics: {json.dumps(metrics)}")
    return 0
