"""labelloop demo [--dir DIR] — create (once) and describe the demo project."""

from __future__ import annotations

import argparse

from annotator.cli.commands.serve import add_server_options
from annotator.demo import ensure_demo_project
from annotator.serve import app_url, serve


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="create the demo project from sample_data/ (once) and show how to sign in",
        description="Create a demo project of customer-support tickets (an unlabeled pool, a labeled "
        "evaluation set, guidelines, a lead and an annotator) the first time; reuse it afterwards.",
    )
    parser.add_argument(
        "--dir", default="demo_project", metavar="DIR",
        help="where the demo project lives (default: ./demo_project)",
    )
    add_server_options(parser)
    parser.add_argument("--no-serve", dest="serve", action="store_false",
                        help="only create (or check) the demo project; do not start the app")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    info, credentials = ensure_demo_project(args.dir)
    verb = "created" if info.created else "reusing"
    print(f"{verb} demo project {info.path}")
    print(f"  {info.pool} examples ({info.eval} reserved for evaluation), labels: {', '.join(info.labels)}")
    print("  sign in as:")
    for name, password in credentials.items():
        print(f"    {name} / {password}")
    if not args.serve:
        return 0
    print(f"starting the app at {app_url(args.host, args.port)} and the training worker ...", flush=True)
    return serve(info.path, args.host, args.port, worker=args.worker)
