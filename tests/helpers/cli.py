"""Running the labelloop command: in this process (exit code, stdout, stderr) or as a subprocess."""

from __future__ import annotations

import io
import sys

from annotator.cli import main

CLI = [sys.executable, "-c", "import sys; from annotator.cli import main; sys.exit(main())"]


def run(argv, capsys, stdin: str | None = None, monkeypatch=None):
    """``labelloop ARGV`` in this process (stdin from ``stdin`` when given): (exit code, stdout, stderr)."""
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err
