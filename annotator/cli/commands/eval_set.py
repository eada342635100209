"""labelloop eval-set reserve N --project DIR [--seed K]"""

from __future__ import annotations

import argparse

from annotator.cli.options import add_project_option
from annotator.services.evalset import reserve_eval_set
from annotator.services.projects import open_project


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "eval-set",
        help="reserve a random evaluation set from the unlabeled pool",
        description="The evaluation set is labeled like any other item but never trained on, so "
        "model quality is measured on an unbiased sample.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    reserve = actions.add_parser(
        "reserve", help="mark N random unlabeled pool items as evaluation items",
        description="Mark a seeded random sample of N unlabeled pool items as the evaluation set.",
    )
    reserve.add_argument("n", type=int, metavar="N", help="how many items to reserve")
    reserve.add_argument("--seed", type=int, default=None, metavar="K",
                         help="random seed (default: the project's seed setting)")
    add_project_option(reserve)
    reserve.set_defaults(func=run_reserve)


def run_reserve(args: argparse.Namespace) -> int:
    with open_project(args.project) as project:
        chosen = reserve_eval_set(project, args.n, seed=args.seed)
    print(f"reserved {len(chosen)} evaluation items")
    return 0
