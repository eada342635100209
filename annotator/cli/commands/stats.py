"""labelloop stats --project DIR [--json]"""

from __future__ import annotations

import argparse
import json

from annotator.cli.options import add_project_option
from annotator.stats import project_stats
from annotator.store import open_project


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "stats",
        help="show pool size, labeled count, counts per label and per annotator",
        description="Show the project's counts: pool, labeled, evaluation set, current labels per "
        "label and per annotator.",
    )
    add_project_option(parser)
    parser.add_argument("--json", action="store_true", help="print the statistics as one JSON object")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with open_project(args.project) as project:
        stats = project_stats(project)
    if args.json:
        print(json.dumps(stats, indent=2, ensure_ascii=False))
        return 0
    print(f"pool:      {stats['pool']} examples ({stats['eval']} in the evaluation set)")
    print(f"labeled:   {stats['labeled']}  unlabeled: {stats['unlabeled']}")
    print(f"labels:    {stats['labels_current']} current, {stats['labels_total']} in history")
    print("per label:")
    for name, count in stats["per_label"].items():
        print(f"  {name}: {count}")
    print("per annotator:")
    for name, count in stats["per_annotator"].items():
        print(f"  {name}: {count}")
    if not stats["per_annotator"]:
        print("  (none yet)")
    return 0
