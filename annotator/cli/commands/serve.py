"""labelloop serve --project DIR [--host H] [--port P] [--allowed-host NAME ...] [--no-worker]"""

from __future__ import annotations

import argparse

from annotator.cli.options import add_project_option
from annotator.config import resolve_project_dir
from annotator.services.serving import DEFAULT_HOST, DEFAULT_PORT, serve


def add_server_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host", default=DEFAULT_HOST,
        help=f"address to listen on (default {DEFAULT_HOST}, this machine only; anything else is plain HTTP on "
        "the network: put a TLS reverse proxy in front instead, see the README's Security model)",
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port to listen on (default {DEFAULT_PORT})")
    parser.add_argument(
        "--allowed-host", dest="allowed_hosts", action="append", default=[], metavar="NAME",
        help="a host name browsers use to reach the app (e.g. the reverse proxy's labels.example.com); "
        "sessions for other names are refused; repeat for several",
    )
    parser.add_argument(
        "--no-worker", dest="worker", action="store_false",
        help="do not start the background training worker (the queue keeps its current ranking)",
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run the labeling app and the background worker",
        description="Start the Streamlit labeling app and the training worker as two processes; "
        "Ctrl-C or SIGTERM stops both.",
    )
    add_project_option(parser)
    add_server_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    return serve(resolve_project_dir(args.project), args.host, args.port, worker=args.worker,
                 extra_hosts=args.allowed_hosts)
