"""Options shared by several commands."""

from __future__ import annotations

import argparse
import sys

from annotator.config import PROJECT_ENV


def add_project_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--project",
        metavar="DIR",
        default=None,
        help=f"project folder (default: ${PROJECT_ENV})",
    )


def progress_bar(value: float, message: str) -> None:
    """A one-line progress bar on stderr (commands that train or predict)."""
    filled = int(round(30 * value))
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {value:4.0%} {message[:60]:<60}")
    sys.stderr.flush()
