"""Pool embeddings cached per encoder version, memory-mapped (numpy only; the UI may load them).

``<project>/embeddings/enc_v{N}/`` holds ``ids.npy`` (int64 example ids, ascending) and
``vectors.npy`` (float32, L2-normalised, one row per id) computed by the encoder of
fine-tuned version N (0 = the base model). They are opened memory-mapped: a refresh over
a million texts reads the 1.5 GB of vectors from the page cache instead of copying them,
and two readers share one copy. A cache is written to a temporary folder and renamed into
place, so readers see the old folder or the new one, never half of one (a reader that
opened the old one keeps reading it). New examples are embedded incrementally.

Caches written before this format (``enc_vN.npz``) are read once and rewritten.
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from annotator.config import EMBEDDINGS_DIRNAME
from learner.folders import replace_folder

TMP_PREFIX = ".tmp-"
CORRUPT_SUFFIX = ".corrupt"
IDS_FILE, VECTORS_FILE = "ids.npy", "vectors.npy"

log = logging.getLogger("labelloop.worker")

TextsFor = Callable[[np.ndarray], list[str]]


def embeddings_path(project_dir: str | os.PathLike, encoder_version: int) -> Path:
    """The cache folder of an encoder version."""
    return Path(project_dir) / EMBEDDINGS_DIRNAME / f"enc_v{int(encoder_version)}"


def _legacy_path(project_dir: str | os.PathLike, encoder_version: int) -> Path:
    return Path(project_dir) / EMBEDDINGS_DIRNAME / f"enc_v{int(encoder_version)}.npz"


def load_embeddings(project_dir: str | os.PathLike, encoder_version: int) -> tuple[np.ndarray, np.ndarray] | None:
    """``(ids, vectors)`` cached for an encoder version (``vectors`` memory-mapped, read-only), or None.

    A cache that cannot be read whole (truncated, overwritten, inconsistent) is moved aside to
    ``*.corrupt`` and treated as absent, so the caller embeds the pool again and rewrites it.
    """
    folder = embeddings_path(project_dir, encoder_version)
    if not folder.is_dir():
        return _load_legacy(project_dir, encoder_version)
    try:
        ids = np.load(folder / IDS_FILE)
        vectors = np.load(folder / VECTORS_FILE, mmap_mode="r")
        if ids.ndim != 1 or vectors.ndim != 2 or len(ids) != len(vectors) or ids.dtype != np.int64 \
                or vectors.dtype != np.float32:
            raise ValueError("ids and vectors do not match")
    except (OSError, ValueError, EOFError) as error:
        _move_aside(folder, error)
        return None
    return ids, vectors


def _load_legacy(project_dir: str | os.PathLike, encoder_version: int) -> tuple[np.ndarray, np.ndarray] | None:
    """A cache in the earlier ``enc_vN.npz`` format: read, checked, rewritten as a folder."""
    path = _legacy_path(project_dir, encoder_version)
    if not path.is_file():
        return None
    try:
        with np.load(path) as data:
            ids, vectors = data["ids"].astype(np.int64), data["vectors"].astype(np.float32)
        if ids.ndim != 1 or vectors.ndim != 2 or len(ids) != len(vectors) or not np.isfinite(vectors).all():
            raise ValueError("ids and vectors do not match")
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
        _move_aside(path, error)
        return None
    order = np.argsort(ids, kind="stable")
    save_embeddings(project_dir, encoder_version, ids[order], vectors[order])
    path.unlink(missing_ok=True)
    return load_embeddings(project_dir, encoder_version)


def _move_aside(path: Path, error: BaseException) -> None:
    os.replace(path, path.with_name(path.name + CORRUPT_SUFFIX))
    log.error("embeddings cache %s is unreadable (%s: %s); moved aside, it will be rebuilt",
              path.name, type(error).__name__, error)


def _write_folder(folder: Path, ids: np.ndarray, vectors: np.ndarray) -> None:
    folder.mkdir(parents=True)
    for name, array in ((IDS_FILE, ids), (VECTORS_FILE, vectors)):
        with open(folder / name, "wb") as handle:
            np.save(handle, array)
            handle.flush()
            os.fsync(handle.fileno())


def save_embeddings(project_dir: str | os.PathLike, encoder_version: int, ids: Sequence[int],
                    vectors: np.ndarray) -> Path:
    """Write the cache atomically (a temporary folder, then renames); rows are stored by ascending id."""
    ids = np.asarray(ids, dtype=np.int64)
    vectors = np.asarray(vectors, dtype=np.float32)
    if len(ids) and np.any(np.diff(ids) <= 0):
        order = np.argsort(ids, kind="stable")
        ids, vectors = ids[order], vectors[order]
    target = embeddings_path(project_dir, encoder_version)
    tmp = target.parent / f"{TMP_PREFIX}{uuid.uuid4().hex[:8]}"
    try:
        _write_folder(tmp, ids, vectors)
        replace_folder(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def remove_temporary(project_dir: str | os.PathLike) -> int:
    """Delete temporary folders (and files of the earlier format) a killed worker left behind."""
    folder = Path(project_dir) / EMBEDDINGS_DIRNAME
    removed = 0
    if folder.is_dir():
        for entry in folder.iterdir():
            if entry.name.startswith((TMP_PREFIX, ".enc_v")) or entry.name.endswith(".tmp.npz"):
                shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink(missing_ok=True)
                removed += 1
    return removed


def cached_versions(project_dir: str | os.PathLike) -> dict[int, Path]:
    """Encoder version -> its cache (folder, or a file of the earlier format)."""
    folder = Path(project_dir) / EMBEDDINGS_DIRNAME
    found: dict[int, Path] = {}
    if folder.is_dir():
        for entry in folder.glob("enc_v*"):
            number = entry.name[len("enc_v"):].removesuffix(".npz")
            if number.isdigit():
                found[int(number)] = entry
    return found


def ensure_embeddings(
    project_dir: str | os.PathLike,
    encoder_version: int,
    ids: Sequence[int],
    texts: Sequence[str] | TextsFor,
    embed: Callable[[list[str]], np.ndarray],
) -> np.ndarray:
    """Vectors for ``ids`` in that order; embeds only the ids not cached yet and updates the cache.

    ``texts`` is the texts of ``ids`` (same order), or a function giving the texts of the
    ids it is passed, so that a refresh over a cached pool reads no text at all. When the
    cache already holds exactly ``ids`` (the usual case between imports) the memory-mapped
    vectors come back as they are: no copy.
    """
    ids = np.asarray(ids, dtype=np.int64)
    cached = load_embeddings(project_dir, encoder_version)
    if cached is not None and np.array_equal(cached[0], ids):
        return cached[1]
    if cached is not None and len(cached[0]):
        where = np.searchsorted(cached[0], ids)
        where = np.clip(where, 0, len(cached[0]) - 1)
        known = cached[0][where] == ids
    else:
        where, known = np.zeros(len(ids), dtype=np.int64), np.zeros(len(ids), dtype=bool)
    missing = np.flatnonzero(~known)
    if len(missing) == 0:
        return np.asarray(cached[1][where])
    missing_texts = texts(ids[missing]) if callable(texts) else [texts[i] for i in missing]
    new_vectors = np.asarray(embed(list(missing_texts)), dtype=np.float32)
    out = np.empty((len(ids), new_vectors.shape[1]), dtype=np.float32)
    if known.any():
        out[known] = cached[1][where[known]]
    out[missing] = new_vectors
    # the cache keeps every vector it had (examples are never deleted) plus the new ones
    if cached is not None and len(cached[0]):
        all_ids = np.concatenate([cached[0], ids[missing]])
        all_vectors = np.concatenate([np.asarray(cached[1]), new_vectors])
    else:
        all_ids, all_vectors = ids, out
    save_embeddings(project_dir, encoder_version, all_ids, all_vectors)
    return out
