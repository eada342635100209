"""Search the project's texts: words, a regular expression, or meaning; with filters; paged and sorted.

One library for the Explore page and ``labelloop search`` (numpy and the standard library only:
the page may import it).

* **words** — every word of the query must occur in the text, case-insensitively (Unicode case
  folding), anywhere in it: ``refund`` finds "Refunds". SQLite's ``LIKE`` narrows the pool first
  (it ignores ASCII case only, so non-ASCII words are checked in Python alone). Relevance: how
  often the words occur.
* **regex** — a regular expression (the ``regex`` module, whose syntax is Python's ``re``),
  case-sensitive unless it says ``(?i)``, searched anywhere in the text. A pattern that does not
  compile is a one-line error; the whole scan is limited to ``REGEX_SECONDS`` of this thread's CPU
  time: a pattern that backtracks without end, such as ``(a+)+$``, is stopped there and refused on
  one line. CPU time, not the wall clock: on a machine busy with other work (the worker's
  fine-tune on the same cores) a plain pattern over 100k texts took over a second of wall time
  for 0.3 s of CPU and was refused as backtracking. ``REGEX_WALL_SECONDS`` still bounds the wait
  on a very busy machine, with its own message.
* **similar** (a typed query) and **similar_to** (more like this text) — cosine similarity to the
  pool's cached embeddings (the worker's ``embeddings/enc_vN`` of the current encoder, L2
  normalised, so one matrix-vector product scores the pool; exact, no approximate index: see
  docs/benchmarks.md for when an index would pay). The ``SEMANTIC_TOP`` nearest texts that pass
  the filters are the matches. "More like this" takes the text's own cached vector and needs no
  encoder. A typed query must be embedded by the same encoder, which imports torch, and the pages
  never import torch; so the caller brings the vector:

  - the command line embeds it in its own process
    (:func:`annotator.services.training.query_embedding.embed_query`): one model load, then
    milliseconds;
  - the Explore page asks the worker (:func:`request_query_embedding`, a queued ``embed_query``
    job that the worker answers between two steps of its loop with the encoder it already holds
    in memory, so no second copy of the model is loaded in the app's process) and reads the vector
    from the job's result (:func:`query_embedding_result`). Without a running worker the page says
    so, and "more like this" still works.

* **all** — no text condition: the filters alone, by id.

Filters combine with any search: a current label (anyone's), the current model's predicted label
and its confidence range, an annotator who holds a current label, an open disagreement (as on the
Review page), skipped by someone, in the evaluation set, labeled or unlabeled, the imported file.

Sorting: ``relevance`` (the search's own order), ``uncertainty`` (least confident prediction
first) or ``confidence`` (most confident first); texts the model has not scored come last.
"""

from __future__ import annotations

import functools
import os
import time
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

import numpy as np
import regex

from annotator.errors import InputError, LabelloopError, shown
from annotator.services.exports import _final_row
from annotator.services.label_mode import is_multi_label
from annotator.services.labelset import get_labels
from annotator.services.set_search import set_result_fields, split_set_filters
from annotator.services.training.embeddings import embeddings_path, load_embeddings
from annotator.store import jobs as job_store
from annotator.store import search as store
from annotator.store.connection import read_snapshot
from annotator.store.examples import get_example
from annotator.store.project import Project
from annotator.store.versions import current_version

MODES = ("all", "words", "regex", "similar", "similar_to")
SORTS = ("relevance", "uncertainty", "confidence")
REGEX_SECONDS = 1.0        # CPU seconds (this thread's) of one scan: a pattern needing more backtracks too much
REGEX_WALL_SECONDS = 10.0  # the scan's wall-clock limit, whatever the CPU: a very busy machine
MAX_QUERY_CHARS = 1000
SEMANTIC_TOP = 1000
MAX_LIMIT = 10_000
QUERY_JOB = "embed_query"
_CHECK_EVERY = 256  # texts between two looks at the regex deadline


class NoEmbeddingsError(LabelloopError):
    """The pool has no cached embeddings for the current encoder yet."""


@dataclass(frozen=True)
class Filters:
    """Conditions every result meets; None = any."""

    label: str | None = None
    predicted: str | None = None
    min_confidence: float | None = None
    max_confidence: float | None = None
    annotator: str | None = None
    disagreement: bool | None = None
    skipped: bool | None = None
    is_eval: bool | None = None
    labeled: bool | None = None
    source: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def given(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value is not None}


@dataclass(frozen=True)
class Search:
    """What to look for: ``mode`` (see MODES), its ``query`` (words, pattern or typed text) or
    ``example_id`` (similar_to), the filters and the order."""

    mode: str = "all"
    query: str = ""
    example_id: int | None = None
    filters: Filters = field(default_factory=Filters)
    sort: str = "relevance"

    def describe(self) -> dict[str, Any]:
        """The search as JSON-able data: what a label found by it records (its provenance)."""
        out: dict[str, Any] = {"mode": self.mode}
        if self.mode in ("words", "regex", "similar"):
            out["query"] = self.query
        if self.mode == "similar_to":
            out["example_id"] = self.example_id
        if self.filters.given():
            out["filters"] = self.filters.given()
        return out


@dataclass(frozen=True)
class Result:
    example_id: int
    text: str
    label: str | None             # the final label, as exports give it (None: unlabeled)
    labels: dict[str, str]        # every current label: annotator -> label (adjudications included)
    predicted: str | None         # the current model's suggestion
    confidence: float | None
    score: float | None           # relevance: similarity, word count; None for a regex or filters alone
    is_eval: bool
    skipped: bool
    disagreement: bool
    source: str | None
    ext_id: str | None
    final_set: list[str] | None = None      # multi-label: the final set (label is its text, "joy + love")
    predicted_set: list[str] | None = None  # multi-label: the suggested set (predicted is its text)

    def as_json(self) -> dict[str, Any]:
        out = {"id": self.example_id, "text": self.text, "label": self.label, "predicted": self.predicted,
               "confidence": None if self.confidence is None else round(self.confidence, 6),
               "score": None if self.score is None else round(self.score, 6)}
        if self.final_set is not None or self.predicted_set is not None:
            out.update({"label": self.final_set, "predicted": self.predicted_set})
        return out


@dataclass(frozen=True)
class Page:
    results: list[Result]
    total: int            # matches before paging
    offset: int
    limit: int
    search: Search
    seconds: float


# ------------------------------------------------------------------------------------ checking
def _check_filters(project: Project, filters: Filters) -> None:
    labels = get_labels(project.db)
    for name in ("label", "predicted"):
        value = getattr(filters, name)
        if value is not None and value not in labels:
            raise InputError(f"--{name}: {shown(value)} is not in the label set ({', '.join(labels)})")
    for name in ("min_confidence", "max_confidence"):
        value = getattr(filters, name)
        if value is not None and not (isinstance(value, int | float) and 0.0 <= float(value) <= 1.0):
            raise InputError(f"--{name.replace('_', '-')} must be a number between 0 and 1, not {shown(value)}")
    if filters.min_confidence is not None and filters.max_confidence is not None \
            and filters.min_confidence > filters.max_confidence:
        raise InputError("--min-confidence is above --max-confidence: no text can match")


def compile_pattern(pattern: str) -> regex.Pattern:
    """The compiled pattern, or a one-line InputError saying why it is not one."""
    if len(pattern) > MAX_QUERY_CHARS:
        raise InputError(f"the pattern has {len(pattern):,} characters; at most {MAX_QUERY_CHARS:,}")
    try:
        return regex.compile(pattern)
    except (regex.error, ValueError, OverflowError) as error:
        raise InputError(f"not a valid regular expression {shown(pattern)}: {error}") from None


def check_search(project: Project, search: Search) -> Search:
    """``search`` if it can run; otherwise a one-line InputError."""
    if search.mode not in MODES:
        raise InputError(f"unknown search mode {shown(search.mode)}: choose one of {', '.join(MODES)}")
    if search.sort not in SORTS:
        raise InputError(f"unknown order {shown(search.sort)}: choose one of {', '.join(SORTS)}")
    if search.mode in ("words", "regex", "similar"):
        if not search.query.strip():
            raise InputError("the search is empty: type some words, a pattern or a sentence")
        if len(search.query) > MAX_QUERY_CHARS:
            raise InputError(f"the search has {len(search.query):,} characters; at most {MAX_QUERY_CHARS:,}")
    if search.mode == "regex":
        compile_pattern(search.query)
    if search.mode == "similar_to":
        if search.example_id is None or get_example(project.db, int(search.example_id)) is None:
            raise InputError(f"no text with id {shown(search.example_id)}")
    _check_filters(project, search.filters)
    return search


# ------------------------------------------------------------------------------ the cached index
def encoder_version(project: Project) -> int:
    """The encoder of the current model version (0 = the base model, also before any version)."""
    version = current_version(project.db)
    return int(version["encoder_version"]) if version and version["encoder_version"] is not None else 0


def _stamp(path: os.PathLike) -> tuple | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_ino, info.st_mtime_ns, info.st_size


@functools.lru_cache(maxsize=2)
def _index(project_dir: str, version: int, stamp: tuple) -> tuple[np.ndarray, np.ndarray] | None:
    """The cache file as loaded, kept while the file stays the same (the stamp is part of the key)."""
    return load_embeddings(project_dir, version)


def pool_vectors(project: Project, version: int | None = None) -> tuple[int, np.ndarray, np.ndarray]:
    """``(encoder_version, ids, vectors)`` of the cached pool embeddings; NoEmbeddingsError if none.

    Loaded once per process while the cache stays the same file (a search then costs a
    matrix-vector product, not a 150 MB read at 100k texts)."""
    version = encoder_version(project) if version is None else int(version)
    stamp = _stamp(embeddings_path(project.path, version))
    loaded = _index(str(project.path), version, stamp) if stamp is not None else None
    if loaded is None:
        raise NoEmbeddingsError(
            "the pool has no embeddings yet: the worker computes them when it starts (labelloop serve), "
            "or labelloop search --similar computes them once with a progress bar")
    return version, loaded[0], loaded[1]


def has_pool_vectors(project: Project) -> bool:
    return _stamp(embeddings_path(project.path, encoder_version(project))) is not None


def uncached_count(project: Project) -> int:
    """How many texts have no cached embedding of the current encoder (all of them without a cache):
    texts imported since the worker last embedded the pool are not found by meaning until embedded."""
    ids = np.asarray(store.example_ids(project.db), dtype=np.int64)
    try:
        _, cached, _ = pool_vectors(project)
    except NoEmbeddingsError:
        return len(ids)
    return int(np.count_nonzero(~np.isin(ids, cached)))


# ---------------------------------------------------------------------------------- searching
def _words(query: str) -> list[str]:
    return list(dict.fromkeys(query.casefold().split()))


def _matching(project: Project, version: int | None, filters: dict[str, Any], **options: Any) -> list[tuple]:
    """:func:`annotator.store.search.matching`, the label, prediction and disagreement filters of a
    multi-label project being about sets (:mod:`annotator.services.set_search`)."""
    if not is_multi_label(project.db):
        return store.matching(project.db, version, filters, **options)
    rest, keep = split_set_filters(project.db, version, filters)
    rows = store.matching(project.db, version, rest, **options)
    return rows if keep is None else [row for row in rows if keep(row[0])]


def _word_matches(project: Project, version: int | None, search: Search) -> tuple[list[int], list, list]:
    words = _words(search.query)
    ascii_words = [word for word in words if word.isascii()]
    rows = _matching(project, version, search.filters.as_dict(), like_words=ascii_words, with_text=True)
    ids, conf, scores = [], [], []
    for example_id, confidence, text in rows:
        folded = text.casefold()
        if all(word in folded for word in words):
            ids.append(example_id)
            conf.append(confidence)
            scores.append(float(sum(folded.count(word) for word in words)))
    return ids, conf, scores


def _regex_matches(project: Project, version: int | None, search: Search, seconds: float = REGEX_SECONDS,
                   wall_seconds: float = REGEX_WALL_SECONDS) -> tuple[list[int], list, list]:
    pattern = compile_pattern(search.query)
    rows = _matching(project, version, search.filters.as_dict(), with_text=True)
    finder = pattern.search
    cpu_start, wall_start = time.thread_time(), time.monotonic()
    ids, conf = [], []
    try:
        for start in range(0, len(rows), _CHECK_EVERY):
            cpu, wall = time.thread_time() - cpu_start, time.monotonic() - wall_start
            if cpu >= seconds or wall >= wall_seconds:
                raise TimeoutError
            # one call's own limit is wall-clock: the CPU time left, stretched by how much slower the
            # wall clock has run than this thread so far (1 on an idle machine)
            stretch = max(1.0, wall / cpu) if cpu > 0.01 else 1.0
            left = min((seconds - cpu) * stretch, wall_seconds - wall)
            for example_id, confidence, text in rows[start:start + _CHECK_EVERY]:
                # positional (pos, endpos, concurrent, partial, timeout): keywords cost 3x at 100k texts
                if finder(text, None, None, None, False, left) is not None:
                    ids.append(example_id)
                    conf.append(confidence)
    except TimeoutError:
        if time.monotonic() - wall_start >= wall_seconds and time.thread_time() - cpu_start < seconds:
            raise InputError(
                f"the pattern {shown(search.query)} could not be checked against {len(rows):,} texts within "
                f"{wall_seconds:g} s: the server is busy; try again, or narrow the search with filters") from None
        raise InputError(
            f"the pattern {shown(search.query)} took more than {seconds:g} s over the texts and was stopped: "
            "it backtracks too much (nested repeats such as (a+)+); simplify it") from None
    return ids, conf, [None] * len(ids)


def _semantic_matches(project: Project, version: int | None, search: Search,
                      query_vector: tuple[int, np.ndarray] | None) -> tuple[list[int], list, list]:
    if search.mode == "similar":
        if query_vector is None:
            raise InputError("a typed semantic search needs the query's embedding: see request_query_embedding")
        encoder, vector = int(query_vector[0]), np.asarray(query_vector[1], dtype=np.float32).ravel()
        _, ids, vectors = pool_vectors(project, encoder)
    else:
        encoder, ids, vectors = pool_vectors(project)
        rows = np.flatnonzero(ids == int(search.example_id))
        if not len(rows):
            raise NoEmbeddingsError(f"text {search.example_id} has no embedding yet (imported after the worker's "
                                    "last refresh); try again in a moment")
        vector = vectors[rows[0]]
    if vector.shape[0] != vectors.shape[1]:
        raise InputError(f"the query's embedding has {vector.shape[0]} dimensions, the pool's {vectors.shape[1]}: "
                         "the encoder changed meanwhile; search again")
    norm = float(np.linalg.norm(vector))
    similarity = vectors @ (vector / norm if norm > 0 else vector)
    keep = np.ones(len(ids), dtype=bool)
    if search.mode == "similar_to":
        keep &= ids != int(search.example_id)
    filters = search.filters.as_dict()
    if store.has_filters(filters):
        allowed = np.fromiter((row[0] for row in _matching(project, version, filters)), dtype=np.int64)
        keep &= np.isin(ids, allowed)
    positions = np.flatnonzero(keep)
    if len(positions) > SEMANTIC_TOP:
        part = np.argpartition(-similarity[positions], SEMANTIC_TOP - 1)[:SEMANTIC_TOP]
        positions = positions[part]
    positions = positions[np.lexsort((ids[positions], -similarity[positions]))]
    top = [int(i) for i in ids[positions]]
    confidence = store.confidences(project.db, version, top)
    return top, [confidence[i] for i in top], [float(s) for s in similarity[positions]]


def _order(ids: list[int], confidence: list, scores: list, sort: str) -> list[int]:
    """Positions of the matches in the requested order (ties: relevance order, then id)."""
    positions = range(len(ids))
    if sort == "relevance":
        if scores and scores[0] is not None:
            return sorted(positions, key=lambda p: (-scores[p], ids[p]))
        return sorted(positions, key=lambda p: ids[p])
    direction = 1.0 if sort == "uncertainty" else -1.0
    relevance = {p: k for k, p in enumerate(_order(ids, confidence, scores, "relevance"))}
    return sorted(positions, key=lambda p: (confidence[p] is None,
                                            direction * (confidence[p] or 0.0), relevance[p]))


def search(project: Project, query: Search, *, offset: int = 0, limit: int = 50,
           query_vector: tuple[int, np.ndarray] | None = None, regex_seconds: float = REGEX_SECONDS,
           regex_wall_seconds: float = REGEX_WALL_SECONDS, within: list[int] | None = None) -> Page:
    """One page of matches: ``limit`` results from ``offset`` in the requested order, and the total.

    ``query_vector`` is ``(encoder_version, vector)`` of a typed semantic query (see the module
    docstring); ``within`` keeps only these texts (a region of the map). Bad input is a one-line
    InputError; searching changes nothing.
    """
    started = time.perf_counter()
    check_search(project, query)
    if not 1 <= int(limit) <= MAX_LIMIT:
        raise InputError(f"--limit must be between 1 and {MAX_LIMIT:,}")
    if int(offset) < 0:
        raise InputError("the page offset cannot be negative")
    with read_snapshot(project.db):
        version = current_version(project.db)
        number = version["version"] if version else None
        if query.mode == "words":
            ids, confidence, scores = _word_matches(project, number, query)
        elif query.mode == "regex":
            ids, confidence, scores = _regex_matches(project, number, query, regex_seconds, regex_wall_seconds)
        elif query.mode in ("similar", "similar_to"):
            ids, confidence, scores = _semantic_matches(project, number, query, query_vector)
        else:
            rows = _matching(project, number, query.filters.as_dict())
            ids, confidence, scores = [r[0] for r in rows], [r[1] for r in rows], [None] * len(rows)
        if within is not None:
            inside = set(within)
            keep = [k for k, example_id in enumerate(ids) if example_id in inside]
            ids, confidence, scores = [ids[k] for k in keep], [confidence[k] for k in keep], [scores[k] for k in keep]
        order = _order(ids, confidence, scores, query.sort)[int(offset):int(offset) + int(limit)]
        page_ids = [ids[p] for p in order]
        details = store.result_rows(project.db, number, page_ids)
    results = _results(project, [details[ids[p]] for p in order], [scores[p] for p in order])
    return Page(results, len(ids), int(offset), int(limit), query, round(time.perf_counter() - started, 4))


def _results(project: Project, rows: list[dict[str, Any]], scores: list[float | None]) -> list[Result]:
    labels = get_labels(project.db)
    if not is_multi_label(project.db):
        label_order = {name: k for k, name in enumerate(labels)}
        return [_result(row, score, label_order) for row, score in zip(rows, scores)]
    sets = set_result_fields(project.db, rows, labels)
    return [Result(example_id=row["id"], text=row["text"], confidence=row["confidence"], score=score,
                   is_eval=row["is_eval"], skipped=row["skipped"], source=row["source"], ext_id=row["ext_id"],
                   **sets[row["id"]]) for row, score in zip(rows, scores)]


def _result(row: dict[str, Any], score: float | None, label_order: dict[str, int]) -> Result:
    labels = row["labels"]
    final = None
    if labels:
        final = _final_row([{**item, "example_id": row["id"], "ext_id": row["ext_id"], "text": row["text"],
                             "label_id": item["id"], "model_version": None, "is_eval": row["is_eval"]}
                            for item in labels], label_order)["label"]
    votes = {item["label"] for item in labels if item["kind"] != "adjudication"}
    adjudicated = any(item["kind"] == "adjudication" for item in labels)
    return Result(
        example_id=row["id"], text=row["text"], label=final,
        labels={item["annotator"]: item["label"] for item in labels},
        predicted=row["predicted"], confidence=row["confidence"], score=score, is_eval=row["is_eval"],
        skipped=row["skipped"], disagreement=len(votes) >= 2 and not adjudicated,
        source=row["source"], ext_id=row["ext_id"],
    )


def result_of(project: Project, example_id: int) -> Result | None:
    """One text as a search result (for a deep link), or None when there is no such text."""
    version = current_version(project.db)
    details = store.result_rows(project.db, version["version"] if version else None, [int(example_id)])
    if int(example_id) not in details:
        return None
    return _results(project, [details[int(example_id)]], [None])[0]


def all_matching_ids(project: Project, query: Search, *, query_vector: tuple[int, np.ndarray] | None = None,
                     cap: int = MAX_LIMIT) -> list[int]:
    """The ids of every match (at most ``cap``) in the search's order: what a bulk label applies to."""
    return [r.example_id for r in search(project, query, limit=cap, query_vector=query_vector).results]


def filter_choices(project: Project) -> dict[str, list[str]]:
    """What the filters can take: labels, annotators who hold labels, imported files."""
    return {"labels": get_labels(project.db), "annotators": store.label_annotators(project.db),
            "sources": store.sources(project.db)}


# --------------------------------------------------------------------- a search in a URL
_FLAGS = ("disagreement", "skipped", "is_eval", "labeled")
_PARAM_NAMES = {"mode": "mode", "query": "q", "example_id": "like", "sort": "sort"}


def to_params(query: Search) -> dict[str, str]:
    """The search as URL query parameters (what a lead sends an annotator)."""
    params: dict[str, str] = {"mode": query.mode}
    if query.mode in ("words", "regex", "similar"):
        params["q"] = query.query
    if query.mode == "similar_to" and query.example_id is not None:
        params["like"] = str(int(query.example_id))
    if query.sort != "relevance":
        params["sort"] = query.sort
    for key, value in query.filters.given().items():
        params[key] = ("1" if value else "0") if isinstance(value, bool) else str(value)
    return params


def from_params(params: dict[str, str]) -> Search | None:
    """The search a URL names (None when it names none); a malformed value is an InputError."""
    if "mode" not in params:
        return None
    values: dict[str, Any] = {}
    for item in fields(Filters):
        raw = params.get(item.name)
        if raw is None or raw == "":
            continue
        if item.name in _FLAGS:
            if raw not in ("0", "1"):
                raise InputError(f"the link's {item.name}={shown(raw)} must be 0 or 1")
            values[item.name] = raw == "1"
        elif item.name in ("min_confidence", "max_confidence"):
            try:
                values[item.name] = float(raw)
            except ValueError:
                raise InputError(f"the link's {item.name}={shown(raw)} is not a number") from None
        else:
            values[item.name] = raw
    example_id = None
    if params.get("like"):
        try:
            example_id = int(params["like"])
        except ValueError:
            raise InputError(f"the link's like={shown(params['like'])} is not a text id") from None
    return Search(mode=params["mode"], query=params.get("q", ""), example_id=example_id,
                  filters=Filters(**values), sort=params.get("sort", "relevance"))


def with_filters(query: Search, **changes: Any) -> Search:
    return replace(query, filters=replace(query.filters, **changes))


# ----------------------------------------------------- a typed query embedded by the worker
def request_query_embedding(project: Project, text: str, requested_by: str) -> int:
    """Ask the worker to embed ``text`` with its current encoder (the Explore page); the job id."""
    if not text.strip() or len(text) > MAX_QUERY_CHARS:
        raise InputError(f"the search must have 1 to {MAX_QUERY_CHARS:,} characters")
    return job_store.queue_job(project.db, QUERY_JOB, {"text": text, "requested_by": requested_by},
                               message=f"query embedding for {requested_by}")


def query_embedding_result(project: Project, job_id: int) -> tuple[str, tuple[int, np.ndarray] | None]:
    """``(status, (encoder_version, vector) or None)`` of a query-embedding job."""
    job = job_store.get_job(project.db, int(job_id))
    if job is None:
        return "missing", None
    if job["status"] == "done" and job["result"]:
        result = job["result"]
        return "done", (int(result["encoder_version"]), np.asarray(result["vector"], dtype=np.float32))
    if job["status"] == "failed":
        return f"failed: {job['error']}", None
    return job["status"], None


def embedding_progress(project: Project) -> dict[str, Any] | None:
    """The worker's running embed or refresh job (the pool being embedded), if any."""
    for job in reversed(job_store.running_jobs(project.db)):
        if job["kind"] in ("embed", "refresh", "finetune") and job["status"] == "running":
            return job
    return None
