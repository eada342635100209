"""labelloop score --project DIR [--engine local|ray] [--ray-address ADDR] [--json]"""

from __future__ import annotations

import argparse
import json
import sys

from annotator.cli.options import add_engine_options, add_project_option, progress_bar
from annotator.config import resolve_project_dir
from annotator.services.projects import open_project
from annotator.services.training.lock import worker_lock

EPILOG = """Examples:
  labelloop score
  labelloop score --engine ray                          # a new local Ray instance
  labelloop score --engine ray --ray-address 10.0.0.5:6379 --json
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "score",
        help="re-embed and re-score the whole pool with the current model and publish the ranking",
        description="Embed every text again with the current model's encoder (the base model before any "
                    "fine-tune), replace its embedding cache, refit the head on the fresh embeddings and "
                    "publish the pool's ranking as a new version (every row). --engine ray runs the embedding "
                    "as a Ray Data job. Refuses while a worker runs; a bad --ray-address changes nothing.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_project_option(parser)
    add_engine_options(parser, "--engine")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    project_dir = resolve_project_dir(args.project)
    open_project(project_dir).close()  # a clear error for a folder that is not a project
    with worker_lock(project_dir):  # refuse while a worker runs, before torch and Ray start
        from annotator.services.training.pool_engines import open_engine  # imports torch
        from annotator.services.training.rescore import score_project

        engine = open_engine(args.engine, args.ray_address)
        result = score_project(project_dir, engine, progress=None if args.json else progress_bar)
    if args.json:
        print(json.dumps({"version": result.version, "kind": result.kind, "engine": result.engine,
                          "encoder_version": result.encoder_version, "texts": result.n,
                          "embed_s": round(result.embed_s, 3), "texts_per_s": round(result.texts_per_s, 1),
                          "total_s": round(result.total_s, 3)}))
        return 0
    sys.stderr.write("\n")
    print(f"published v{result.version} ({result.kind}): {result.n} texts embedded by encoder "
          f"v{result.encoder_version} on the {result.engine} engine in {result.embed_s:.1f}s "
          f"({result.texts_per_s:.0f} texts/s), {result.total_s:.1f}s in all")
    return 0
