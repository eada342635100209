"""Checksums of model files: recorded when a version is published, verified before use.

A fine-tuned version's folder (``models/vN``) gets a SHA-256 per file in its
metrics (``checksums``) at publish time. Before the worker loads an encoder
and before Export builds on one, the folder is checked against them: a file
that is missing, truncated or changed makes the version unusable, and the
worker quarantines it (:mod:`annotator.services.training.models`). Stdlib only.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

CHUNK = 1 << 20


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def folder_checksums(folder: str | os.PathLike) -> dict[str, str]:
    """Relative path -> SHA-256 of every file under ``folder``."""
    root = Path(folder)
    return {p.relative_to(root).as_posix(): sha256(p) for p in sorted(root.rglob("*")) if p.is_file()}


def folder_problem(folder: str | os.PathLike, checksums: dict[str, str] | None) -> str | None:
    """Why ``folder`` does not hold the files recorded in ``checksums`` (None when it does).

    Without recorded checksums (versions published before they were kept) only the
    presence of ``config.json`` is checked.
    """
    root = Path(folder)
    if not root.is_dir():
        return f"its folder {root.name}/ is missing"
    if not checksums:
        return None if (root / "config.json").is_file() else f"{root.name}/config.json is missing"
    for name, expected in sorted(checksums.items()):
        path = root / name
        if not path.is_file():
            return f"{root.name}/{name} is missing"
        if sha256(path) != expected:
            return f"{root.name}/{name} does not match its checksum (changed or truncated)"
    return None
