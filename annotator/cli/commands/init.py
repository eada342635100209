"""labelloop init DIR --labels a,b,c"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from annotator.config import DATABASE_URL_ENV
from annotator.errors import InputError
from annotator.services.projects import create_project


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "init",
        help="create a project folder with its label set",
        description="Create a new project folder (project.db) with an ordered label set. A project is "
        "single-label (one label per text) unless created with --multi-label; the type never changes. "
        "With --database (or $LABELLOOP_DATABASE_URL) the tables go in a new schema of that PostgreSQL "
        "database instead of project.db: several app processes and workers on other hosts can then share "
        "the project; the folder keeps the models and caches and records the URL (database.json).",
        epilog="Example:\n  labelloop init tickets --labels billing,shipping,technical\n"
        "  labelloop init emotions --labels-file labels.txt --multi-label\n"
        "  labelloop init tickets --labels billing,shipping --database postgresql://labelloop@db.internal/labelloop",
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
    parser.add_argument(
        "--database", metavar="URL",
        help=f"a postgresql:// URL: keep the project's tables in PostgreSQL (default: ${DATABASE_URL_ENV}, "
        "else project.db in the folder)",
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
    database = args.database or os.environ.get(DATABASE_URL_ENV) or None
    with create_project(args.dir, labels, multi_label=args.multi_label, database_url=database) as project:
        kind = "multi-label project " if args.multi_label else ""
        where = f" (tables in PostgreSQL schema {project.db.schema})" if database else ""
        print(f"created {kind}{project.path} with {len(labels)} labels: {', '.join(labels)}{where}")
    return 0
