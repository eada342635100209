"""Options shared by several commands."""

from __future__ import annotations

import argparse

from annotator.config import PROJECT_ENV


def add_project_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--project",
        metavar="DIR",
        default=None,
        help=f"project folder (default: ${PROJECT_ENV})",
    )
