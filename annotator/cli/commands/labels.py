"""labelloop labels list|add NAME ... --project DIR"""

from __future__ import annotations

import argparse

from annotator.cli.options import add_project_option
from annotator.services.labelset import add_labels, get_labels
from annotator.services.projects import open_project


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "labels",
        help="show the label set or add labels to it",
        description="The project's ordered label set. Labels can be added at the end; "
        "they are never renamed or removed, so every stored label keeps its meaning.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="print the labels in display order",
                                 description="Print the labels in display order, one a line.")
    add_project_option(listing)
    listing.set_defaults(func=run_list)
    adding = actions.add_parser("add", help="append labels to the label set",
                                description="Append one or more labels to the end of the label set.")
    add_project_option(adding)
    adding.add_argument("names", nargs="+", metavar="NAME", help="a label to add")
    adding.set_defaults(func=run_add)


def run_list(args: argparse.Namespace) -> int:
    with open_project(args.project) as project:
        for name in get_labels(project.db):
            print(name)
    return 0


def run_add(args: argparse.Namespace) -> int:
    with open_project(args.project) as project:
        labels = add_labels(project.db, args.names)
    print(f"label set: {', '.join(labels)}")
    return 0
