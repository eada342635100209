"""labelloop demo [--dir DIR] — create (once) and describe the demo project."""

from __future__ import annotations

import argparse

from annotator.cli.commands.serve import add_server_options
from annotator.services.demo import LOGINS_FILE, ensure_demo_project
from annotator.services.serving import describe_address, serve


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="create the demo project from sample_data/ (once) and show how to sign in",
        description="Create a demo project of customer-support tickets (a pool, a labeled evaluation set, "
        "guidelines, a lead and three annotators with three days of labels, flags and comments) the first "
        "time; reuse it afterwards. A folder holding another Labelloop project is refused.",
        epilog="Example: labelloop demo --dir /tmp/demo --no-serve",
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
    info, passwords = ensure_demo_project(args.dir)
    print(f"{'created' if info.created else 'reusing'} demo project {info.path}")
    print(f"  {info.pool} texts to label and {info.eval} in the evaluation set, labels: {', '.join(info.labels)}")
    if info.history is not None:
        history = info.history
        print(f"  the team's first days: {history.labels} labels ({history.overlap_texts} texts labeled blind by two), "
              f"{history.flags} flags and {history.comments} comments for the lead, {history.adjudicated} settled")
    if passwords:
        print(f"  sign in as (new random passwords, shown only now; also in {info.path / LOGINS_FILE}, "
              "readable by you only):")
        for name, password in passwords.items():
            print(f"    {name} / {password}")
    elif info.logins_file is not None:
        print(f"  users {', '.join(info.users)}: their passwords are in {info.logins_file}")
    else:
        print(f"  users {', '.join(info.users)}: set a password with labelloop user passwd NAME --project {info.path}")
    if info.fixed_password_users:
        print(f"  warning: {', '.join(info.fixed_password_users)} still use the fixed demo password of an earlier "
              f"version; set new ones with labelloop user passwd NAME --project {info.path}")
    if not args.serve:
        return 0
    worker = "and the training worker" if args.worker else "without the training worker (the queue keeps its ranking)"
    print(f"starting the app at {describe_address(args.host, args.port)} {worker} ...", flush=True)
    return serve(info.path, args.host, args.port, worker=args.worker, extra_hosts=args.allowed_hosts)
