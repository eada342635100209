"""The ``labelloop`` command: a thin layer over library calls.

Each module in ``annotator.cli.commands`` defines ``register(subparsers)`` and
adds its command(s) with ``help`` text and a ``func(args) -> int``. Errors that
users cause are LabelloopError: printed as one line, exit status 1, no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys

from annotator.errors import LabelloopError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="labelloop",
        description="Human-in-the-loop annotation and active learning for text classification.",
    )
    parser.add_argument("--version", action="version", version=f"labelloop {version()}",
                        help="print the installed version and exit")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    from annotator.cli import commands

    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(subparsers)
    return parser


def version() -> str:
    """The installed distribution's version (the package's own when not installed)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("labelloop")
    except PackageNotFoundError:
        import annotator

        return getattr(annotator, "__version__", "unknown")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except LabelloopError as error:
        print(f"labelloop: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("labelloop: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of our output went away (``labelloop export ... | head``):
        # point stdout at devnull so the interpreter's final flush stays quiet.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
