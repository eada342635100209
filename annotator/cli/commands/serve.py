"""labelloop serve --project DIR [--host H] [--port P] [--allowed-host NAME ...] [--no-worker]
[--score-engine local|ray] [--ray-address ADDR]"""

from __future__ import annotations

import argparse

from annotator.cli.options import add_engine_options, add_project_option
from annotator.config import resolve_project_dir
from annotator.errors import InputError
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
        "Ctrl-C or SIGTERM stops both. --score-engine ray makes the worker hand a fine-tune's pass over "
        "the pool to a Ray cluster (see labelloop worker --help).",
        epilog="Examples:\n  labelloop serve --project support\n"
        "  labelloop serve --project support --port 8502 --no-worker\n"
        "  labelloop serve --project support --score-engine ray --ray-address 10.0.0.5:6379",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_project_option(parser)
    add_server_options(parser)
    add_engine_options(parser, "--score-engine")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not args.worker and (args.engine != "local" or args.ray_address):
        raise InputError("--score-engine and --ray-address configure the worker: leave out --no-worker")
    return serve(resolve_project_dir(args.project), args.host, args.port, worker=args.worker,
                 extra_hosts=args.allowed_hosts, score_engine=args.engine, ray_address=args.ray_address)
