"""Search and embedding-map speed on synthetic pools (``labelloop bench search``).

Per pool size N:

* **index** — N clustered unit vectors (``dim`` dimensions, 200 Gaussian clusters: embeddings of
  real texts are clustered, and random vectors are the worst case for an approximate index). The
  exact search the library does (one float32 matrix-vector product and ``argpartition`` for the top
  1,000) against faiss (``IndexFlatIP``, exact; ``IndexHNSWFlat``, M=32) and hnswlib (M=16,
  ef_construction=100, ef=64) when they are importable: build time, median and best query time
  (and CPU time) over ``repeats`` queries and recall@10 against the exact answer. Not installed: reported as such.
* **service** (N up to ``service_limit``) — a real project with N synthetic texts and the vectors as
  its embedding cache; through :func:`annotator.services.search.search` (what the CLI and the page
  call, SQL and all): words, a regular expression, more like this with and without a filter, with a
  published model version (predictions and confidences). The first call loads the cache; the
  figures are the median and the best wall time, and the median CPU time, of the following
  ``repeats`` calls (a page session keeps the loaded cache).
* **map** — the worker's projection (PCA) of the N vectors, and what a page load of the map costs
  on the server: loading the map file, sampling ``MAX_POINTS`` points, reading what colours them,
  and the chart's JSON (its size is what the browser receives). UMAP (umap-learn) is timed beside
  PCA when importable, up to ``umap_limit`` points. The approximate indexes are built only up to
  ``ann_limit`` points (None: always; a 1M-point HNSW build takes many CPU minutes).
"""

from __future__ import annotations

import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import machine_info, write_json

CLUSTERS = 200
TOP = 1000
QUICK = {"pools": [2000], "repeats": 3}


def clustered_vectors(n: int, dim: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((CLUSTERS, dim), dtype=np.float32)
    members = rng.integers(0, CLUSTERS, size=n)
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, 100_000):
        chunk = members[start:start + 100_000]
        out[start:start + len(chunk)] = centres[chunk] + 0.6 * rng.standard_normal((len(chunk), dim), dtype=np.float32)
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


def _timed(out: dict[str, Any], name: str, call, repeats: int) -> None:
    """``out[name]``: the median wall time of ``repeats`` calls in ms; ``out[name + "_best"]``: the
    fastest; ``out[name + "_cpu"]``: the median CPU time of this process (all its threads) per call.
    On a machine shared with other work the wall times grow with the load; the CPU time is what the
    call itself costs."""
    times, cpu = [], []
    for k in range(repeats):
        tick, tock = time.perf_counter(), time.process_time()
        call(k)
        times.append(time.perf_counter() - tick)
        cpu.append(time.process_time() - tock)
    out[name] = round(statistics.median(times) * 1000, 2)
    out[name + "_best"] = round(min(times) * 1000, 2)
    out[name + "_cpu"] = round(statistics.median(cpu) * 1000, 2)


def _exact_top(vectors: np.ndarray, query: np.ndarray, k: int) -> np.ndarray:
    scores = vectors @ query
    top = np.argpartition(-scores, k - 1)[:k]
    return top[np.argsort(-scores[top])]


def _recall(found: np.ndarray, exact: np.ndarray) -> float:
    return len(set(found.tolist()) & set(exact.tolist())) / len(exact)


def measure_index(vectors: np.ndarray, repeats: int, *, ann: bool = True) -> dict[str, Any]:
    queries = vectors[np.random.default_rng(1).choice(len(vectors), size=repeats, replace=False)]
    exact10 = [_exact_top(vectors, q, 10) for q in queries]
    out: dict[str, Any] = {}
    _timed(out, "exact_numpy_ms", lambda k: _exact_top(vectors, queries[k], TOP), repeats)
    if not ann:
        out["ann"] = "not measured at this pool size (--ann-limit)"
        return out
    try:
        import faiss
    except ImportError:
        out["faiss"] = "not installed"
    else:
        flat = faiss.IndexFlatIP(vectors.shape[1])
        flat.add(vectors)
        _timed(out, "faiss_flat_ms", lambda k: flat.search(queries[k:k + 1], TOP), repeats)
        tick, tock = time.perf_counter(), time.process_time()
        hnsw = faiss.IndexHNSWFlat(vectors.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
        hnsw.add(vectors)
        out["faiss_hnsw_build_s"] = round(time.perf_counter() - tick, 2)
        out["faiss_hnsw_build_cpu_s"] = round(time.process_time() - tock, 2)
        hnsw.hnsw.efSearch = 64
        _timed(out, "faiss_hnsw_ms", lambda k: hnsw.search(queries[k:k + 1], 10), repeats)
        out["faiss_hnsw_recall10"] = round(statistics.fmean(
            _recall(hnsw.search(q[None, :], 10)[1][0], e) for q, e in zip(queries, exact10)), 3)
    try:
        import hnswlib
    except ImportError:
        out["hnswlib"] = "not installed"
    else:
        tick, tock = time.perf_counter(), time.process_time()
        index = hnswlib.Index(space="ip", dim=vectors.shape[1])
        index.init_index(max_elements=len(vectors), M=16, ef_construction=100)
        index.add_items(vectors, np.arange(len(vectors)))
        out["hnswlib_build_s"] = round(time.perf_counter() - tick, 2)
        out["hnswlib_build_cpu_s"] = round(time.process_time() - tock, 2)
        index.set_ef(64)
        _timed(out, "hnswlib_ms", lambda k: index.knn_query(queries[k], k=10), repeats)
        out["hnswlib_recall10"] = round(statistics.fmean(
            _recall(index.knn_query(q, k=10)[0][0], e) for q, e in zip(queries, exact10)), 3)
    return out


def synthetic_project(folder: Path, n: int, vectors: np.ndarray) -> Any:
    """A project of ``n`` synthetic texts (1% start with "refund never arrived"), ``vectors`` as its
    embedding cache and a published version that scores every text (random confidences)."""
    from annotator.services.imports import import_file
    from annotator.services.projects import create_project
    from annotator.services.training.embeddings import save_embeddings
    from annotator.store.versions import publish_version
    from benchmarks.synthetic import synthetic_texts

    project = create_project(folder, ["alpha", "beta", "gamma", "delta"])
    data = folder / "pool.jsonl"
    with data.open("w", encoding="utf-8") as handle:
        for k, text in enumerate(synthetic_texts(n)):
            # a known phrase in 1% of the texts, for the word and pattern searches
            handle.write(json.dumps({"text": f"refund never arrived {text}" if k % 100 == 0 else text}) + "\n")
    import_file(project, data)
    ids = [row[0] for row in project.db.execute("SELECT id FROM examples ORDER BY id")]
    save_embeddings(folder, 0, ids, vectors[:len(ids)])
    rng = np.random.default_rng(2)
    confidence = rng.uniform(0.25, 1.0, size=len(ids))
    names = ["alpha", "beta", "gamma", "delta"]
    publish_version(project.db, kind="head", strategy="margin", encoder_version=0, scores=[
        (e, r, float(1 - c), names[r % 4], float(c)) for r, (e, c) in enumerate(zip(ids, confidence))])
    return project


def measure_service(folder: Path, n: int, vectors: np.ndarray, repeats: int) -> dict[str, Any]:
    from annotator.services import search as s

    tick = time.perf_counter()
    project = synthetic_project(folder, n, vectors)
    out: dict[str, Any] = {"setup_s": round(time.perf_counter() - tick, 1)}
    try:
        ids = [row[0] for row in project.db.execute("SELECT id FROM examples ORDER BY id LIMIT 50")]
        tick = time.perf_counter()
        s.search(project, s.Search("similar_to", example_id=ids[0]), limit=20)
        out["semantic_first_call_ms"] = round((time.perf_counter() - tick) * 1000, 1)  # loads the cache
        cases = {
            "semantic_more_like_this_ms": lambda k: s.search(project, s.Search("similar_to", example_id=ids[k % 50]),
                                                             limit=20),
            "semantic_typed_ms": lambda k: s.search(project, s.Search("similar", "q"), limit=20,
                                                    query_vector=(0, vectors[k])),
            "semantic_unlabeled_uncertain_ms": lambda k: s.search(project, s.Search(
                "similar_to", example_id=ids[k % 50], filters=s.Filters(labeled=False, max_confidence=0.6),
                sort="uncertainty"), limit=20),
            "words_ms": lambda k: s.search(project, s.Search("words", "refund never"), limit=20),
            "words_unlabeled_by_confidence_ms": lambda k: s.search(project, s.Search(
                "words", "refund", filters=s.Filters(labeled=False), sort="confidence"), limit=20),
            "regex_ms": lambda k: s.search(project, s.Search("regex", r"^refund\s+never"), limit=20),
            "filters_only_ms": lambda k: s.search(project, s.Search(
                "all", filters=s.Filters(predicted="beta", max_confidence=0.5)), limit=20),
        }
        for name, call in cases.items():
            _timed(out, name, call, repeats)
        out["words_matches"] = s.search(project, s.Search("words", "refund never"), limit=1).total
        out.update(measure_map(project, vectors[:n]))
    finally:
        project.close()
    return out


def measure_map(project, vectors: np.ndarray) -> dict[str, Any]:
    from annotator.services import projection

    tick, tock = time.perf_counter(), time.process_time()
    done = projection.compute_map(project)
    out: dict[str, Any] = {"map_pca_s": round(time.perf_counter() - tick, 2),
                           "map_pca_cpu_s": round(time.process_time() - tock, 2), "map_points": done["n"]}

    def page(_k: int) -> int:
        points = projection.map_points(project, "prediction")
        return len(json.dumps(projection.chart_spec(points, "prediction")))

    page(0)
    _timed(out, "map_page_data_ms", page, 5)
    out["map_chart_json_bytes"] = page(0)
    out["map_drawn_points"] = len(projection.map_points(project, "prediction"))
    everything = projection.map_points(project, "prediction", max_points=len(vectors))
    out["map_all_points_chart_json_bytes"] = len(json.dumps(projection.chart_spec(everything, "prediction")))
    return out


def measure_umap(vectors: np.ndarray) -> dict[str, Any]:
    try:
        import umap
    except ImportError:
        return {"umap": "not installed"}
    tick, tock = time.perf_counter(), time.process_time()
    umap.UMAP(n_components=2, random_state=0).fit_transform(vectors)
    return {"umap_s": round(time.perf_counter() - tick, 1), "umap_cpu_s": round(time.process_time() - tock, 1)}


def run_search(pools: list[int], *, dim: int = 384, repeats: int = 20, quick: bool = False,
               workdir: str | None = None, service_limit: int = 100_000, umap_limit: int = 10_000,
               ann_limit: int | None = None, progress_path: str | None = None) -> dict[str, Any]:
    if quick:
        pools, repeats = QUICK["pools"], QUICK["repeats"]
    work = Path(tempfile.mkdtemp(prefix="labelloop-search-", dir=workdir))
    result: dict[str, Any] = {"kind": "search", "machine": machine_info(), "dim": dim, "repeats": repeats,
                              "pools": []}
    try:
        for n in pools:
            vectors = clustered_vectors(n, dim)
            row: dict[str, Any] = {"pool": n, **measure_index(vectors, repeats,
                                                              ann=ann_limit is None or n <= ann_limit)}
            if n <= service_limit:
                row.update(measure_service(work / f"pool{n}", n, vectors, repeats))
            if n <= umap_limit and not quick:
                row.update(measure_umap(vectors))
            result["pools"].append(row)
            if progress_path:
                write_json(result, progress_path)
            shutil.rmtree(work / f"pool{n}", ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return result


def summary_table(result: dict[str, Any]) -> str:
    lines = []
    for row in result["pools"]:
        lines.append(f"pool {row['pool']:,}: " + ", ".join(f"{k} {v}" for k, v in row.items() if k != "pool"))
    return "\n".join(lines)
