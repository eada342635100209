"""The embedding map: a 2-D projection of the pool, computed by the worker, drawn by the Explore page.

**Computed in the worker, once per encoder.** After a step with nothing else to do, the worker
projects the cached embeddings of the current encoder (:func:`map_due`, :func:`compute_map`) and
writes ``embeddings/map_vN.npz`` (``ids``, ``xy`` float32, the ``method``) atomically; the map is
reused until the encoder changes (a fine-tune) or the pool grows by more than ``REFRESH_GROWTH``.
The page only reads the file.

**PCA, not UMAP.** The projection is the first two principal components (numpy: the 384 x 384
covariance of the pool, its top eigenvectors): 2.5 s of CPU at 100k texts (docs/benchmarks.md).
UMAP (umap-learn) separates clusters better but brings numba and llvmlite into the install and
took 28x PCA's CPU at 10k texts (54.6 s against 2.0 s), after every fine-tune; so the map is PCA.

**100k points in a browser.** The page draws at most ``MAX_POINTS`` points: a seeded sample of the
pool, stratified by nothing (uniform) so dense regions stay dense. Measured in Chromium, the
chart with all 100k points is 5.9 MB of JSON instead of 0.30 MB and took 5x as long to draw as
5,000 (docs/benchmarks.md). A region selected on the chart lists *every* text of the pool inside
it (:func:`region_ids`), not only the drawn ones.
"""

from __future__ import annotations

import functools
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from annotator.config import EMBEDDINGS_DIRNAME
from annotator.services.label_mode import is_multi_label
from annotator.services.labelset import get_labels
from annotator.services.search import NoEmbeddingsError, encoder_version, pool_vectors
from annotator.services.set_search import set_point_facts
from annotator.store import search as store
from annotator.store.project import Project
from annotator.store.versions import current_version

MAX_POINTS = 5_000
REFRESH_GROWTH = 0.05   # recompute when the pool grew by more than this share since the map
COLOURS = ("label", "prediction", "uncertainty")
METHOD = "pca"
_TMP = ".tmp-map-"


def map_path(project_dir: str | os.PathLike, version: int) -> Path:
    return Path(project_dir) / EMBEDDINGS_DIRNAME / f"map_v{int(version)}.npz"


def pca_2d(vectors: np.ndarray, *, sample: int = 50_000, seed: int = 0) -> np.ndarray:
    """The rows of ``vectors`` on their first two principal components (fitted on a seeded sample
    of at most ``sample`` rows), float32, each axis scaled to [-1, 1]."""
    X = np.asarray(vectors, dtype=np.float32)
    if len(X) == 0:
        return np.zeros((0, 2), dtype=np.float32)
    rows = np.random.default_rng(seed).choice(len(X), size=min(sample, len(X)), replace=False)
    fit = X[np.sort(rows)]
    mean = fit.mean(axis=0)
    centred = fit - mean
    covariance = centred.T @ centred
    _, vectors_ = np.linalg.eigh(covariance.astype(np.float64))
    axes = vectors_[:, ::-1][:, :2].astype(np.float32)
    xy = (X - mean) @ axes
    scale = np.abs(xy).max(axis=0)
    return (xy / np.where(scale > 0, scale, 1.0)).astype(np.float32)


def load_map(project_dir: str | os.PathLike, version: int) -> dict[str, Any] | None:
    """``{"ids", "xy", "method"}`` of the map of encoder ``version``; None when absent or unreadable."""
    path = map_path(project_dir, version)
    try:
        stamp = os.stat(path)
    except OSError:
        return None
    return _load(str(path), stamp.st_ino, stamp.st_mtime_ns)


@functools.lru_cache(maxsize=2)
def _load(path: str, _inode: int, _mtime: int) -> dict[str, Any] | None:
    try:
        with np.load(path) as data:
            ids, xy, method = data["ids"].astype(np.int64), data["xy"].astype(np.float32), str(data["method"])
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    if ids.ndim != 1 or xy.shape != (len(ids), 2):
        return None
    return {"ids": ids, "xy": xy, "method": method}


def save_map(project_dir: str | os.PathLike, version: int, ids: np.ndarray, xy: np.ndarray, method: str) -> Path:
    """Write the map atomically (a temporary file, then ``os.replace``)."""
    path = map_path(project_dir, version)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{_TMP}{os.getpid()}-{path.name}")
    with open(tmp, "wb") as handle:
        np.savez(handle, ids=np.asarray(ids, dtype=np.int64), xy=np.asarray(xy, dtype=np.float32),
                 method=np.asarray(method))
    os.replace(tmp, path)
    return path


def map_due(project: Project) -> int | None:
    """The encoder version whose map the worker should compute now, or None (no embeddings yet, or
    a map of this encoder covers the pool to within REFRESH_GROWTH)."""
    version = encoder_version(project)
    try:
        _, ids, _ = pool_vectors(project, version)
    except NoEmbeddingsError:
        return None
    existing = load_map(project.path, version)
    if existing is not None and len(ids) <= len(existing["ids"]) * (1 + REFRESH_GROWTH):
        return None
    return version if len(ids) else None


def compute_map(project: Project, version: int | None = None) -> dict[str, Any]:
    """Project the cached embeddings of encoder ``version`` (the current one) and save the map."""
    version, ids, vectors = pool_vectors(project, version)
    xy = pca_2d(vectors)
    save_map(project.path, version, ids, xy, METHOD)
    return {"version": version, "n": len(ids), "method": METHOD}


# ------------------------------------------------------------------------------- the page's side
def map_status(project: Project) -> dict[str, Any]:
    """``{"map": {"n", "method", "version"} or None, "message"}`` for the page."""
    version = encoder_version(project)
    loaded = load_map(project.path, version)
    if loaded is None:
        return {"map": None, "message": "No map yet: the worker draws it once the pool is embedded "
                                        "(labelloop serve starts the worker)."}
    return {"map": {"n": len(loaded["ids"]), "method": loaded["method"], "version": version}, "message": ""}


def map_points(project: Project, colour: str, *, max_points: int = MAX_POINTS, seed: int = 0) -> list[dict[str, Any]]:
    """At most ``max_points`` points of the map (a seeded uniform sample) with what colours them."""
    loaded = load_map(project.path, encoder_version(project))
    if loaded is None:
        return []
    ids, xy = loaded["ids"], loaded["xy"]
    if len(ids) > max_points:
        keep = np.sort(np.random.default_rng(seed).choice(len(ids), size=max_points, replace=False))
        ids, xy = ids[keep], xy[keep]
    version = current_version(project.db)
    facts = store.point_facts(project.db, version["version"] if version else None, ids.tolist())
    if is_multi_label(project.db):  # a point's label and prediction are sets ("joy + love")
        facts = set_point_facts(project.db, facts, get_labels(project.db))
    points = []
    for example_id, (x, y) in zip(ids.tolist(), xy.tolist()):
        label, predicted, confidence = facts.get(example_id, (None, None, None))
        value = {"label": label or "(unlabeled)", "prediction": predicted or "(none)",
                 "uncertainty": None if confidence is None else round(1.0 - confidence, 4)}[colour]
        points.append({"id": example_id, "x": round(x, 4), "y": round(y, 4), "value": value})
    return points


def chart_spec(points: list[dict[str, Any]], colour: str) -> dict[str, Any]:
    """The Vega-Lite scatter as a plain spec with a rectangle selection named ``region`` (built by
    hand: Altair's conversion of 5,000 inline points took 1.4-2.3 s per page load, this takes ms)."""
    kind = "quantitative" if colour == "uncertainty" else "nominal"
    colour_channel: dict[str, Any] = {"field": "value", "type": kind, "title": colour}
    if kind == "quantitative":
        colour_channel["scale"] = {"scheme": "viridis"}
    else:
        colour_channel["legend"] = {"columns": 2}
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "data": {"values": points},
        "mark": {"type": "circle", "size": 12, "opacity": 0.6},
        "params": [{"name": "region", "select": {"type": "interval", "encodings": ["x", "y"]}}],
        "encoding": {
            "x": {"field": "x", "type": "quantitative", "axis": None},
            "y": {"field": "y", "type": "quantitative", "axis": None},
            "color": colour_channel,
            "tooltip": [{"field": "id", "type": "quantitative"}, {"field": "value", "type": kind}],
        },
        "height": 480,
    }


def selected_bounds(event: Any) -> tuple[float, float, float, float] | None:
    """``(x0, x1, y0, y1)`` of the rectangle selected on the chart, from Streamlit's selection event."""
    try:
        region = event["selection"]["region"]
        (x0, x1), (y0, y1) = region["x"], region["y"]
    except (KeyError, TypeError, ValueError):
        return None
    return float(min(x0, x1)), float(max(x0, x1)), float(min(y0, y1)), float(max(y0, y1))


def region_ids(project: Project, bounds: tuple[float, float, float, float]) -> list[int]:
    """Every text of the map inside the rectangle, by id."""
    loaded = load_map(project.path, encoder_version(project))
    if loaded is None:
        return []
    x0, x1, y0, y1 = bounds
    xy = loaded["xy"]
    inside = (xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1)
    return sorted(int(i) for i in loaded["ids"][inside])
