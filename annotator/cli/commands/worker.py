"""labelloop worker --project DIR [--once] [--score-engine local|ray] [--ray-address ADDR]"""

from __future__ import annotations

import argparse
import logging

from annotator.cli.options import add_engine_options, add_project_option
from annotator.config import resolve_project_dir
from annotator.services.projects import open_project
from annotator.services.training.lock import worker_lock


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "worker",
        help="run the background worker: rank the pool, refresh after each batch, fine-tune",
        description="Embed and rank the pool, re-rank after every batch of new labels and fine-tune "
        "the classifier in the background. One worker per project; stop it with Ctrl-C or SIGTERM. "
        "--score-engine ray hands a fine-tune's pass over the pool (re-embedding and scoring every text) "
        "to a Ray cluster; the rest stays in this process.",
        epilog="Examples:\n  labelloop worker --project support\n  labelloop worker --once\n"
        "  labelloop worker --score-engine ray --ray-address 10.0.0.5:6379",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_project_option(parser)
    parser.add_argument("--once", action="store_true",
                        help="rank the pool, fine-tune once if there are new labels, then exit")
    parser.add_argument("--poll", type=float, default=1.0, metavar="SECONDS",
                        help="seconds between checks for new labels (default 1)")
    add_engine_options(parser, "--score-engine")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    project_dir = resolve_project_dir(args.project)
    open_project(project_dir).close()  # a clear error for a folder that is not a project
    with worker_lock(project_dir):  # refuse a second worker before the slow torch import
        from annotator.services.training.pool_engines import open_engine  # imports torch
        from annotator.worker.loop import run_worker

        engine = open_engine(args.engine, args.ray_address)  # a bad address fails here, before any work
        run_worker(project_dir, once=args.once, poll_seconds=args.poll, pool_engine=engine)
    return 0
