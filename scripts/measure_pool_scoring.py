"""Measure ``labelloop score`` on the local engine against the Ray engine, in the same run.

Builds a project whose pool is the texts of ``--file`` (a JSONL/CSV file with a ``text`` column,
e.g. Banking77's 10,003 training texts), or N synthetic texts (``benchmarks.synthetic``:
pseudo-words, 5 to 60 words, the speed benchmarks' texts), with the default model unless
``--model``, then runs the product's own
command as a subprocess, alternating the engines for ``--rounds`` rounds:

    labelloop score --project P --engine local --json
    labelloop score --project P --engine ray --json     # a new local Ray instance, all CPUs

Each run re-embeds the whole pool and publishes its ranking. Reported per run: ``texts/s`` of the
pool's forward pass (for Ray: from submitting the job to the last row written, actors' start
included), and the command's wall time (Ray: with starting the local instance).

    python scripts/measure_pool_scoring.py --file banking77/train.jsonl --rounds 2 --json pool_scoring.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from annotator.services.imports import import_file
from annotator.services.projects import create_project
from annotator.services.settings import set_settings
from benchmarks.synthetic import write_synthetic_file

LABELLOOP = [sys.executable, "-c", "import sys; from annotator.cli import main; sys.exit(main())"]


def build(folder: Path, source: Path | None, n: int, model: str) -> Path:
    with create_project(folder / "project", ["a", "b", "c"]) as project:
        set_settings(project.db, model=model)
        import_file(project, source or write_synthetic_file(folder / "pool.csv", n))
    return folder / "project"


def score(project: Path, engine: str) -> dict:
    started = time.perf_counter()
    done = subprocess.run([*LABELLOOP, "score", "--project", str(project), "--engine", engine, "--json"],
                          capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"labelloop score --engine {engine} failed: {done.stderr.strip()[-500:]}")
    # the command's JSON line (Ray may print more of its own around it)
    result = next((json.loads(line) for line in reversed(done.stdout.splitlines()) if line.startswith('{"version"')),
                  None)
    if result is None:
        raise SystemExit(f"labelloop score --engine {engine} printed no result: {done.stdout.strip()[-500:]}")
    return {**result, "wall_s": round(wall, 1), "load_average": os.getloadavg()[0]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=None, help="the pool's texts (column 'text')")
    parser.add_argument("--texts", type=int, default=10_000, help="synthetic texts when there is no --file")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--model", default="default")
    parser.add_argument("--engines", default="local,ray", help="the order of the engines in each round")
    parser.add_argument("--json", type=Path, default=None, help="write every run here")
    args = parser.parse_args(argv)
    runs = []
    source = str(args.file) if args.file else f"{args.texts} synthetic texts"
    with tempfile.TemporaryDirectory() as tmp:
        project = build(Path(tmp), args.file, args.texts, args.model)
        print("round engine texts embed_s texts/s wall_s load_average_1min_at_end")
        for round_ in range(1, args.rounds + 1):
            for engine in args.engines.split(","):
                run = {"round": round_, **score(project, engine)}
                runs.append(run)
                print(f"{round_} {engine} {run['texts']} {run['embed_s']} {run['texts_per_s']} {run['wall_s']} "
                      f"{run['load_average']:.1f}", flush=True)
                if args.json is not None:  # after every run: a long measurement keeps what it has
                    args.json.write_text(json.dumps({"pool": source, "model": args.model, "runs": runs}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
