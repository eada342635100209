"""The architecture holds: import contracts, lint, declared dependencies, no benchmark code at run time."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNTIME = ("annotator", "learner")


def _imports(package: str) -> set[str]:
    """Top-level names of every module imported anywhere in ``package`` (function-level imports too)."""
    names: set[str] = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names


def test_import_contracts_hold():
    """Layers (front-ends > worker > services > store | io), front-ends never reach the store,
    the app never imports the worker, learner never imports annotator (pyproject.toml)."""
    done = subprocess.run([sys.executable, "-c", "from importlinter.cli import lint_imports_command; "
                           "lint_imports_command()"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "broken" in done.stdout and " 0 broken" in done.stdout


def test_ruff_is_clean():
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]


def test_every_imported_package_is_declared():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    # core dependencies, and the runtime extras a feature imports when it is used (ray: score --engine ray)
    runtime_extras = [spec for name, specs in project["optional-dependencies"].items()
                      if name not in ("dev", "bench") for spec in specs]
    declared = {re.split(r"[<>=!~\[; ]", spec, maxsplit=1)[0].lower().replace("_", "-")
                for spec in [*project["dependencies"], *runtime_extras]}
    providers = importlib.metadata.packages_distributions()
    missing = []
    for name in sorted(set().union(*map(_imports, RUNTIME)) - set(sys.stdlib_module_names) - set(RUNTIME)):
        distributions = {d.lower().replace("_", "-") for d in providers.get(name, [])}
        if not distributions & declared:
            missing.append(f"{name} ({', '.join(sorted(distributions)) or 'not installed'})")
    assert missing == [], f"imported but not declared in [project] dependencies: {missing}"


def test_the_runtime_package_holds_no_benchmark_code():
    assert "matplotlib" not in _imports("annotator") | _imports("learner")
    assert "benchmarks" not in _imports("annotator") | _imports("learner")  # labelloop bench loads it by name
    assert not (ROOT / "annotator" / "bench").exists() and not (ROOT / "learner" / "tiny.py").exists()
