"""Pool embeddings cached per encoder version (numpy only; the UI may load them).

``<project>/embeddings/enc_v{N}.npz`` holds ``ids`` (int64, example ids) and
``vectors`` (float32, L2-normalised, one row per id) computed by the encoder
of fine-tuned version N (0 = the base model). A file is written to a temporary
name and moved into place with ``os.replace``: readers see the old file or the
new one, never half of one. New examples are embedded incrementally.
"""

from __future__ import annotations

import logging
import os
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from annotator.config import EMBEDDINGS_DIRNAME

TMP_SUFFIX = ".tmp.npz"
CORRUPT_SUFFIX = ".corrupt"

log = logging.getLogger("labelloop.worker")


def embeddings_path(project_dir: str | os.PathLike, encoder_version: int) -> Path:
    return Path(project_dir) / EMBEDDINGS_DIRNAME / f"enc_v{int(encoder_version)}.npz"


def load_embeddings(project_dir: str | os.PathLike, encoder_version: int) -> tuple[np.ndarray, np.ndarray] | None:
    """``(ids, vectors)`` cached for an encoder version, or None if not cached.

    A cache that cannot be read whole (truncated, overwritten, inconsistent) is moved aside to
    ``*.corrupt`` and treated as absent, so the caller embeds the pool again and rewrites it.
    """
    path = embeddings_path(project_dir, encoder_version)
    if not path.is_file():
        return None
    try:
        with np.load(path) as data:
            ids, vectors = data["ids"].astype(np.int64), data["vectors"].astype(np.float32)
        if ids.ndim != 1 or vectors.ndim != 2 or len(ids) != len(vectors) or not np.isfinite(vectors).all():
            raise ValueError("ids and vectors do not match")
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
        os.replace(path, path.with_name(path.name + CORRUPT_SUFFIX))
        log.error("embeddings cache %s is unreadable (%s: %s); moved aside, it will be rebuilt",
                  path.name, type(error).__name__, error)
        return None
    return ids, vectors


def save_embeddings(project_dir: str | os.PathLike, encoder_version: int, ids: Sequence[int],
                    vectors: np.ndarray) -> Path:
    """Write the cache atomically (temporary file, then ``os.replace``)."""
    path = embeddings_path(project_dir, encoder_version)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.stem}.{os.getpid()}{TMP_SUFFIX}")
    with open(tmp, "wb") as handle:
        np.savez(handle, ids=np.asarray(ids, dtype=np.int64), vectors=np.asarray(vectors, dtype=np.float32))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    return path


def write_pending(project_dir: str | os.PathLike, ids: Sequence[int], vectors: np.ndarray) -> Path:
    """Write embeddings of a not-yet-published encoder to a temporary file; the publisher
    moves it to ``enc_v{N}.npz`` with ``os.replace`` once N is known."""
    folder = Path(project_dir) / EMBEDDINGS_DIRNAME
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f"pending-{os.getpid()}{TMP_SUFFIX}"
    with open(tmp, "wb") as handle:
        np.savez(handle, ids=np.asarray(ids, dtype=np.int64), vectors=np.asarray(vectors, dtype=np.float32))
        handle.flush()
        os.fsync(handle.fileno())
    return tmp


def remove_temporary(project_dir: str | os.PathLike) -> int:
    """Delete temporary files a killed worker left behind; return how many."""
    folder = Path(project_dir) / EMBEDDINGS_DIRNAME
    removed = 0
    for tmp in folder.glob(f"*{TMP_SUFFIX}") if folder.is_dir() else ():
        tmp.unlink(missing_ok=True)
        removed += 1
    return removed


def ensure_embeddings(
    project_dir: str | os.PathLike,
    encoder_version: int,
    ids: Sequence[int],
    texts: Sequence[str],
    embed: Callable[[list[str]], np.ndarray],
) -> np.ndarray:
    """Vectors for ``ids`` in that order; embeds only the ids not cached yet and updates the cache."""
    ids = np.asarray(ids, dtype=np.int64)
    cached = load_embeddings(project_dir, encoder_version)
    if cached is not None:
        known = {int(example_id): row for row, example_id in enumerate(cached[0])}
    else:
        known = {}
    missing = [i for i, example_id in enumerate(ids) if int(example_id) not in known]
    if not missing and cached is not None:
        return cached[1][[known[int(e)] for e in ids]]
    new_vectors = embed([texts[i] for i in missing]) if missing else None
    dim = new_vectors.shape[1] if new_vectors is not None else cached[1].shape[1]
    out = np.empty((len(ids), dim), dtype=np.float32)
    for i, example_id in enumerate(ids):
        row = known.get(int(example_id))
        if row is not None:
            out[i] = cached[1][row]
    if missing:
        out[missing] = new_vectors
    save_embeddings(project_dir, encoder_version, ids, out)
    return out
