"""labelloop export --project DIR (--out FILE [--format F] [--raw] [--no-eval] | --model --out ZIP [--version N])"""

from __future__ import annotations

import argparse
from pathlib import Path

from annotator.cli.options import add_project_option
from annotator.errors import InputError
from annotator.services.exports import LABEL_SEPARATOR, WRITE_FORMATS, export
from annotator.services.model_export import (
    LOAD_HINT,
    archive_name,
    describe_predictor,
    exportable_version,
    load_hint,
    zip_model,
)
from annotator.services.projects import open_project


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export",
        help="write the labeled examples (or every raw label) to a file, or the model as a zip",
        description="Export one row per labeled example with its final label (a lead's adjudication "
        "wins, else the majority; ties reported) and provenance columns, or with --raw every label "
        "row including superseded ones. CSV cells that a spreadsheet would run as a formula are "
        "prefixed with a single quote. With --model, write the current model (the one the Dashboard "
        f"measures and the suggestions come from) as a zip of one transformers folder: {LOAD_HINT}.",
        epilog="Examples:\n  labelloop export --out labels.parquet\n  labelloop export --out history.csv --raw\n"
        "  labelloop export --out sets.csv --label-separator ';'   # a multi-label project\n"
        "  labelloop export --model --out model.zip\n  labelloop export --model --version 12 --out v12.zip",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_project_option(parser)
    parser.add_argument("--out", required=True, metavar="FILE", help="the file to write (replaced if it exists)")
    parser.add_argument(
        "--format", dest="fmt", metavar="FORMAT",
        help=f"file format: {', '.join(WRITE_FORMATS)} (default: from the --out extension)",
    )
    parser.add_argument("--raw", action="store_true", help="every label row with all provenance, not final labels")
    parser.add_argument(
        "--no-eval", dest="include_eval", action="store_false",
        help="leave out the evaluation set",
    )
    parser.add_argument(
        "--label-separator", default=LABEL_SEPARATOR, metavar="SEP",
        help=f"multi-label projects: what joins the names of a set in a CSV cell (default: {LABEL_SEPARATOR}); "
        "JSONL and Parquet hold a list",
    )
    parser.add_argument("--model", action="store_true",
                        help="write the model as a zip instead of the labels (same zip as the Export page)")
    parser.add_argument("--version", type=int, metavar="N",
                        help="with --model: the model of version N (default: the current one)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.model:
        if args.fmt or args.raw or not args.include_eval:
            raise InputError("--model writes a zip: --format, --raw and --no-eval do not apply")
        with open_project(args.project) as project:
            version = exportable_version(project, args.version)
            out = zip_model(project, args.out, version=version["version"])
            top = archive_name(project, version["version"])
            hint = load_hint(project)
        print(f"wrote the model of version {version['version']} ({describe_predictor(version)}) to {out}: "
              f"one folder, {top}/; load it with {hint}")
        return 0
    if args.version is not None:
        raise InputError("--version applies to --model only")
    if args.fmt:
        fmt = args.fmt.strip().lower()
        if fmt not in WRITE_FORMATS:
            raise InputError(f"unknown export format {args.fmt!r}: choose one of {', '.join(WRITE_FORMATS)}")
    else:
        fmt = Path(args.out).suffix.lower().lstrip(".")
        if fmt not in WRITE_FORMATS:
            raise InputError(
                f"{args.out}: cannot tell the format from the extension; pass --format ({', '.join(WRITE_FORMATS)})"
            )
    with open_project(args.project) as project:
        count = export(project, args.out, fmt, raw=args.raw, include_eval=args.include_eval,
                       label_separator=args.label_separator)
    kind = "label rows" if args.raw else "labeled examples"
    print(f"wrote {count} {kind} to {args.out} ({fmt})")
    return 0
