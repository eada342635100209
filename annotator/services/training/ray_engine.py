"""The ``ray`` scoring engine: the pool's forward pass as a Ray Data job.

The job is three stages, streamed (Ray Data's backpressure bounds what is in flight, not the pool):

1. the id windows (:mod:`annotator.store.pool_windows`), read by tasks pinned to this machine's
   node, where the SQLite file is, so the texts come from the store a window at a time;
2. ``map_batches`` with :class:`_EncoderActor`, a callable class: each actor loads the encoder
   once (its files travel through Ray's object store, so nodes need no shared disk) and embeds
   batch after batch; one actor per GPU (``num_gpus=1``) when the cluster has GPUs, else CPU
   actors of up to ``CPU_THREADS`` cores each;
3. the results back in this process, in id order (``preserve_order``), for the caller to write.

Nodes need labelloop installed (the actors import it) and, to read the store, this process must
run on a node of the cluster (``ray start --address ...`` here, then ``--ray-address``).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import socket
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from annotator.services.training.pool_engines import (
    WINDOW,
    EncoderSpec,
    PoolBatch,
    PoolJob,
    ScoringEngineError,
    encode,
    load_encoder,
)
from annotator.store.pool_windows import read_window

CPU_THREADS = 4          # torch threads (and reserved CPUs) of one CPU actor
GPU_BATCH = 1024         # texts per actor call on a GPU
CONNECT_TIMEOUT_S = 5.0
READ_TASKS = 2           # windows read from the store at a time (each a task in its own worker process)


def _ray():
    try:
        import ray
        import ray.data  # noqa: F401 - the engine needs Ray Data, not only Ray core
    except ImportError:
        raise ScoringEngineError("the ray engine needs Ray Data: pip install 'labelloop[ray]'") from None
    return ray


def _check_reachable(address: str) -> None:
    """A HOST:PORT that answers within CONNECT_TIMEOUT_S (Ray itself retries for a minute)."""
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ScoringEngineError(f"--ray-address must be HOST:PORT, ray://HOST:PORT or auto, not {address!r}")
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as error:
        raise ScoringEngineError(f"cannot reach the Ray cluster at {address}: {error.strerror or error}") from None


@contextlib.contextmanager
def _children_write_to_stderr() -> Iterator[None]:
    """Point file descriptor 1 at stderr while Ray starts its processes, which inherit it: what they
    print (a local instance's start-up notices) must not mix with a command's output (``--json``)."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def connect(address: str | None) -> None:
    """Join the Ray cluster at ``address`` (HOST:PORT of its head, ``ray://HOST:PORT``, or ``auto``);
    no address: the one this process already joined, else a new local Ray instance."""
    ray = _ray()
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    if address and address != "auto":
        _check_reachable(address.removeprefix("ray://"))
    if ray.is_initialized():
        return
    try:
        with _children_write_to_stderr():
                ray.init(address=address or None, logging_level=logging.WARNING, log_to_driver=False,
                     configure_logging=False)
    except (ConnectionError, RuntimeError, ValueError) as error:
        raise ScoringEngineError(f"cannot join the Ray cluster at {address or 'a new local instance'}: "
                                 f"{str(error).splitlines()[0] if str(error) else type(error).__name__}") from None


def folder_files(source: str) -> dict[str, bytes] | None:
    """Every file of a model folder by relative path (None for a hub name: the actors load it by name)."""
    root = Path(source)
    if not root.is_dir():
        return None
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def _read_windows(batch: dict[str, np.ndarray], location: str) -> dict[str, np.ndarray]:
    ids, texts = [], []
    for after, last in zip(batch["after"], batch["last"]):
        window_ids, window_texts = read_window(location, int(after), int(last))
        ids.append(window_ids)
        texts.extend(window_texts)
    return {"id": np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64),
            "text": np.asarray(texts, dtype=object)}


def _materialise(files: dict[str, bytes], folder: Path) -> None:
    for name, data in files.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def _base_folder(files: dict[str, bytes], key: str) -> Path:
    """A base encoder's files on this node, kept by content (it reads them again when it first runs,
    and every run of the same base model reuses them)."""
    folder = Path(tempfile.gettempdir()) / "labelloop-encoders" / key
    if not folder.is_dir():
        tmp = folder.with_name(f".{key}-{uuid.uuid4().hex[:8]}")
        _materialise(files, tmp)
        try:
            os.rename(tmp, folder)
        except OSError:  # another actor of this node was first
            shutil.rmtree(tmp, ignore_errors=True)
    return folder


class _EncoderActor:
    """One Ray actor's encoder, loaded once; called with batches of ``id`` and ``text``."""

    def __init__(self, files_ref: list, key: str, spec: EncoderSpec, want_proba: bool, threads: int | None):
        import ray

        files = ray.get(files_ref[0]) if files_ref else None
        if files is None:
            self.clf = load_encoder(spec, None, threads)
        elif not spec.fitted:
            self.clf = load_encoder(spec, str(_base_folder(files, key)), threads)
        else:  # a fitted classifier is read whole by load(): its copy can go at once
            folder = Path(tempfile.mkdtemp(prefix="labelloop-encoder-"))
            try:
                _materialise(files, folder)
                self.clf = load_encoder(spec, str(folder), threads)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
        self.want_proba = want_proba and spec.fitted

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        vectors, proba = encode(self.clf, [str(t) for t in batch["text"]], self.want_proba)
        out = {"id": np.asarray(batch["id"], dtype=np.int64), "vector": vectors}
        if proba is not None:
            out["proba"] = proba
        return out


def actor_plan(resources: dict[str, float]) -> dict[str, float | int | None]:
    """``concurrency`` actors of ``num_gpus``/``num_cpus`` each, with ``threads`` torch threads and
    ``batch_size`` texts per call: one actor per GPU when there are GPUs, else CPU actors of up to
    CPU_THREADS cores each."""
    gpus = int(resources.get("GPU", 0))
    if gpus:
        return {"concurrency": gpus, "num_gpus": 1, "num_cpus": 1, "threads": None, "batch_size": GPU_BATCH}
    cpus = max(int(resources.get("CPU", 1)), 1)
    threads = min(cpus, CPU_THREADS)
    return {"concurrency": max(cpus // threads, 1), "num_gpus": 0, "num_cpus": threads, "threads": threads,
            "batch_size": WINDOW}


class RayEngine:
    """The encoder on a Ray cluster's actors (see the module docstring)."""

    name = "ray"

    def __init__(self, address: str | None = None):
        connect(address)
        self.address = address

    def batches(self, job: PoolJob) -> Iterator[PoolBatch]:
        ray = _ray()
        files = folder_files(job.encoder.source)
        files_ref = [ray.put(files)] if files is not None else []
        key = hashlib.sha256(b"".join(name.encode() + data for name, data in (files or {}).items())).hexdigest()[:16]
        plan = actor_plan(ray.cluster_resources())
        context = ray.data.DataContext.get_current()
        saved = (context.execution_options.preserve_order, context.enable_progress_bars)
        context.execution_options.preserve_order = True
        context.enable_progress_bars = False
        try:
            here = {"ray.io/node-id": ray.get_runtime_context().get_node_id()}  # where the database file is
            windows = ray.data.from_items([{"after": a, "last": b} for a, b in job.windows],
                                          override_num_blocks=max(len(job.windows), 1))
            # reading costs no CPU worth reserving (num_cpus=0), so the pool of read tasks is bounded
            # explicitly: unbounded, Ray started a worker process per window (76 at 100k texts, 11 GB)
            texts = windows.map_batches(_read_windows, fn_kwargs={"location": job.location}, batch_size=1,
                                        batch_format="numpy", num_cpus=0,
                                        compute=ray.data.TaskPoolStrategy(size=READ_TASKS),
                                        label_selector=here)
            scored = texts.map_batches(
                _EncoderActor, fn_constructor_args=(files_ref, key, job.encoder, job.want_proba, plan["threads"]),
                batch_size=plan["batch_size"], batch_format="numpy",
                compute=ray.data.ActorPoolStrategy(size=plan["concurrency"]),
                num_gpus=plan["num_gpus"], num_cpus=plan["num_cpus"],
            )
            for batch in scored.iter_batches(batch_size=None, batch_format="numpy"):
                yield PoolBatch(np.asarray(batch["id"], dtype=np.int64), np.asarray(batch["vector"], dtype=np.float32),
                                batch.get("proba"))
        finally:
            context.execution_options.preserve_order, context.enable_progress_bars = saved

