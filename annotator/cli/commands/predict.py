"""labelloop predict --project DIR (FILE | --pool) --out PREDS [--top K] [--version N]"""

from __future__ import annotations

import argparse
import sys

from annotator.cli.options import add_project_option, progress_bar
from annotator.errors import InputError
from annotator.services.exports import WRITE_FORMATS
from annotator.services.imports import READ_FORMATS
from annotator.services.projects import open_project


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "predict",
        help="predict labels for a file of texts, or for the project's unlabeled pool, with the current model",
        description="Run the current model (the one the Dashboard measures and `export --model` writes) "
        "over every text of FILE, or with --pool over the project's unlabeled pool, streaming in chunks. "
        "Per text: the predicted label, its confidence, every label's probability (or the top K with "
        "--top) and the model version. In a multi-label project the prediction is a set: the labels whose "
        "probability reaches that label's threshold (as the labeling card suggests; joined with '|' in CSV, "
        "'[]' when empty). The output appears only when every text was predicted.",
        epilog="Examples:\n  labelloop predict new_tickets.csv --text-column body --out preds.csv\n"
        "  labelloop predict --pool --out pool_preds.parquet --top 3",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_project_option(parser)
    parser.add_argument("file", nargs="?", metavar="FILE",
                        help=f"texts to predict: {', '.join(READ_FORMATS)} (by extension, or --input-format)")
    parser.add_argument("--pool", action="store_true", help="predict the project's unlabeled pool instead of a file")
    parser.add_argument("--out", required=True, metavar="PREDS",
                        help=f"output file: {', '.join(WRITE_FORMATS)} (by extension, or --format)")
    parser.add_argument("--format", dest="fmt", metavar="FORMAT", help="output format (default: from --out)")
    parser.add_argument("--input-format", metavar="FORMAT", help="format of FILE (default: from its extension)")
    parser.add_argument("--text-column", default="text", metavar="COL", help="column of FILE holding the texts")
    parser.add_argument("--id-column", metavar="COL",
                        help="column of FILE copied to the id column (default: row number)")
    parser.add_argument("--top", type=int, metavar="K", help="only the K most probable labels and their scores")
    parser.add_argument("--version", type=int, metavar="N", help="the model of version N (default: the current one)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if bool(args.file) == bool(args.pool):
        raise InputError("give either FILE or --pool")
    if args.pool and (args.input_format or args.id_column or args.text_column != "text"):
        raise InputError("--input-format, --text-column and --id-column apply to FILE, not --pool")
    from annotator.services.predictions import predict

    with open_project(args.project) as project:
        result = predict(
            project, args.out, source=None if args.pool else args.file, fmt=args.fmt,
            source_format=args.input_format, text_column=args.text_column, id_column=args.id_column,
            top_k=args.top, version=args.version, progress=progress_bar,
        )
    sys.stderr.write("\n")
    print(f"wrote {result['rows']:,} predictions of model v{result['version']} to {result['out']} "
          f"in {result['seconds']:.1f} s")
    return 0
