"""labelloop init DIR --labels a,b,c"""

from __future__ import annotations

import argparse
from pathlib import Path

from annotator.errors import InputError
from annotator.services.projects import create_project


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "init",
        help="create a project folder with its label set",
        description="Create a new project folder (project.db) with an ordered label set. A project is "
        "single-label (one label per text) unless created with --multi-label; the type never changes.",
        epilog="Example:\n  labelloop init tickets --labels billing,shipping,technical\n"
        "  labelloop init emotions --labels-file labels.txt --multi-label",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("dir", metavar="DIR", help="the project folder to create")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--labels", help="comma-separated labels, in display order")
    group.add_argument("--labels-file", metavar="FILE", help="a text file with one label a line")
    parser.add_argument(
        "--multi-label", action="store_true",
        help="each text gets a set of labels (zero or more) instead of exactly one; fixed for the project's life",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.labels_file:
        try:
            text = Path(args.labels_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise InputError(f"{args.labels_file}: cannot read labels file: {error}") from None
        labels = [line.strip() for line in text.splitlines() if line.strip()]
    else:
        labels = [part.strip() for part in args.labels.split(",") if part.strip()]
    with create_project(args.dir, labels, multi_label=args.multi_label) as project:
        kind = "multi-label project " if args.multi_label else ""
        print(f"created {kind}{project.path} with {len(labels)} labels: {', '.join(labels)}")
    return 0
