"""The README's test command and .ci/run stay the same command."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEST_COMMAND = """pip install -e '.[dev]' && python -m pytest -m "not slow\""""


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    script = ROOT / ".ci" / "run"
    assert TEST_COMMAND in readme
    assert TEST_COMMAND in script.read_text(encoding="utf-8")
    assert os.access(script, os.X_OK)
    assert script.read_text(encoding="utf-8").startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in script.read_text(encoding="utf-8")
