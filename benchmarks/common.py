"""Helpers shared by the benchmark parts: timing, percentiles, machine facts, JSON output."""

from __future__ import annotations

import json
import os
import platform
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from annotator.errors import InputError


def now() -> float:
    """A clock for durations: monotonic and, on Linux, shared by all processes of the machine."""
    return time.monotonic()


def percentiles_ms(seconds: Sequence[float], points: Sequence[int] = (50, 95, 99)) -> dict[str, float]:
    """``{"p50": ms, "p95": ms, ...}`` of durations given in seconds (empty input gives NaN-free None)."""
    if len(seconds) == 0:
        return {f"p{p}": None for p in points}
    values = np.percentile(np.asarray(seconds, dtype=float) * 1000.0, list(points))
    return {f"p{p}": round(float(v), 3) for p, v in zip(points, values)}


def machine_info() -> dict[str, Any]:
    """What the figures were measured on: CPU count, load, library versions."""
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "time_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    try:
        info["load_average"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        info["load_average"] = None
    import sys

    if "torch" in sys.modules:
        torch = sys.modules["torch"]
        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
    if "transformers" in sys.modules:
        info["transformers"] = sys.modules["transformers"].__version__
    return info


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float) and value != value:  # NaN is not JSON
        return None
    return value


def write_json(result: dict[str, Any], path: str | os.PathLike) -> Path:
    """Write ``result`` as indented JSON, atomically (temporary file, then rename)."""
    path = Path(path)
    if not path.parent.exists():
        raise InputError(f"{path.parent}: no such folder for the JSON output")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(_jsonable(result), out, indent=2)
            out.write("\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def read_jsonl(path: str | os.PathLike, limit: int | None = None) -> list[dict[str, Any]]:
    """Rows of a ``{"text", "label"}`` JSONL file (the benchmark datasets' format)."""
    path = Path(path)
    rows: list[dict[str, Any]] = []
    try:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as error:
                    raise InputError(f"{path}: line {number}: not JSON: {error.msg}") from None
                if not isinstance(row, dict) or "text" not in row:
                    raise InputError(f"{path}: line {number}: expected an object with a 'text' field")
                rows.append(row)
                if limit is not None and len(rows) >= limit:
                    break
    except OSError as error:
        raise InputError(f"{path}: cannot read: {error.strerror}") from None
    return rows


def base_test_vectors(prepared: dict[str, Any]) -> tuple[np.ndarray, list[str]]:
    """A prepared dataset's test texts embedded once by the base encoder (cached beside its project
    as ``test_vectors.npy``), and their labels."""
    from annotator.services.projects import open_project
    from annotator.services.training.models import load_models

    rows = read_jsonl(prepared["test"])
    cache = Path(prepared["base"]).parent / "test_vectors.npy"
    if cache.is_file():
        vectors = np.load(cache)
        if len(vectors) == len(rows):
            return vectors, _answers(rows)
    with open_project(prepared["base"]) as project:
        vectors = load_models(project).encoder.embed([r["text"] for r in rows])
    np.save(cache, vectors)
    return vectors, _answers(rows)


def _answers(rows: list[dict[str, Any]]) -> list:
    """Each row's label, or its list of labels (a multi-label dataset)."""
    return [r["labels"] if "labels" in r and "label" not in r else str(r["label"]) for r in rows]
