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


def add_engine_options(parser: argparse.ArgumentParser, flag: str) -> None:
    """``flag`` (--engine of labelloop score, --score-engine of the worker) and --ray-address."""
    parser.add_argument(flag, dest="engine", choices=("local", "ray"), default="local",
                        help="where the pool is embedded: local (this process, the default) or ray (a Ray Data "
                             "job: actors on the cluster's GPUs, else its CPUs); needs pip install 'labelloop[ray]'")
    parser.add_argument("--ray-address", metavar="ADDR", default=None,
                        help="the Ray cluster to join: HOST:PORT of its head, ray://HOST:PORT or auto "
                             "(default: RAY_ADDRESS, else a new local Ray instance)")
