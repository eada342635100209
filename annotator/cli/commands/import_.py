"""labelloop import FILE --project DIR [--text-column text] [--label-column COL] ..."""

from __future__ import annotations

import argparse
import json

from annotator.cli.options import add_project_option
from annotator.services.imports import READ_FORMATS, import_file
from annotator.services.projects import open_project


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "import",
        help="add texts (and optionally their labels) from a file to the pool",
        description="Import a CSV, TSV, JSONL, JSON array or Parquet file into the project's pool "
        "in one transaction: any bad row is reported on one line and nothing is changed. "
        "Texts already in the pool are not added twice.",
        epilog="Example:\n  labelloop import tickets.csv --label-column label\n"
        "  labelloop import emotions.jsonl --label-column labels   # a multi-label project: lists of labels\n"
        "  labelloop import emotions.csv --label-column labels --label-separator '|'",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", metavar="FILE", help="the file to import")
    add_project_option(parser)
    parser.add_argument("--text-column", default="text", metavar="COL", help="column holding the text (default: text)")
    parser.add_argument(
        "--label-column", metavar="COL",
        help="column holding a label to import for --annotator (an empty cell means no label); in a "
        "multi-label project a set: a JSON list, or names joined by --label-separator",
    )
    parser.add_argument(
        "--label-separator", metavar="SEP",
        help="multi-label projects: the character(s) between label names in a --label-column cell (e.g. '|')",
    )
    parser.add_argument("--id-column", metavar="COL", help="column holding your own id for each row")
    parser.add_argument(
        "--annotator", default="import", metavar="NAME",
        help="who the imported labels are recorded as (default: import)",
    )
    parser.add_argument(
        "--format", dest="fmt", metavar="FORMAT",
        help=f"file format: {', '.join(READ_FORMATS)} (default: from the extension)",
    )
    parser.add_argument(
        "--eval-set", action="store_true",
        help="mark these examples as the held-out evaluation set (never trained on)",
    )
    parser.add_argument(
        "--context-columns", metavar="COL,COL",
        help="other columns of the file to show annotators beside each text (e.g. author,date,product); "
        "added to the project's context_columns setting",
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with open_project(args.project) as project:
        summary = import_file(
            project,
            args.file,
            text_column=args.text_column,
            label_column=args.label_column,
            id_column=args.id_column,
            annotator=args.annotator,
            fmt=args.fmt,
            eval_set=args.eval_set,
            label_separator=args.label_separator,
            context_columns=[c.strip() for c in args.context_columns.split(",") if c.strip()]
            if args.context_columns else None,
        )
    print(json.dumps(summary.as_dict(), indent=2) if args.json else summary.describe())
    return 0
