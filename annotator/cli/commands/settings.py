"""labelloop settings [KEY [VALUE]] --project DIR"""

from __future__ import annotations

import argparse
import json
import sys

from annotator.cli.options import add_project_option
from annotator.config import SETTINGS
from annotator.errors import InputError
from annotator.services.projects import open_project
from annotator.services.settings import read_settings, set_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    keys = ", ".join(SETTINGS)
    parser = subparsers.add_parser(
        "settings",
        help="show or change the project's settings",
        description=f"Show every setting, show one (KEY), or change one (KEY VALUE). Keys: {keys}. "
        "A value is checked before anything is written.",
    )
    add_project_option(parser)
    parser.add_argument("key", nargs="?", metavar="KEY", help="the setting to show or change")
    parser.add_argument("value", nargs="?", metavar="VALUE", help="the new value")
    parser.add_argument("--json", action="store_true", help="print the settings as one JSON object")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with open_project(args.project) as project:
        if args.key is not None and args.value is not None:
            values = set_settings(project.db, **{args.key: args.value}).as_dict()
            print(f"{args.key} = {json.dumps(values[args.key])}")
            return 0
        settings, problems = read_settings(project.db)
        values = settings.as_dict()
    for message in problems.values():
        print(f"labelloop: warning: {message}", file=sys.stderr)
    if args.key is not None:
        if args.key not in values:
            raise InputError(f"unknown setting {args.key!r}; known: {', '.join(sorted(values))}")
        values = {args.key: values[args.key]}
    if args.json:
        print(json.dumps(values, indent=2, ensure_ascii=False))
        return 0
    for key, value in values.items():
        shown = json.dumps(value)
        if key == "guidelines" and len(shown) > 60:
            shown = shown[:57] + '..."'
        print(f"{key:<17} {shown:<24} {SETTINGS[key].help}")
    return 0
