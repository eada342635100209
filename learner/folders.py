"""Write a folder so that readers see the old one or the new one, never half of one."""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_folder(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary folder next to ``target``; when the block succeeds it replaces ``target``
    by renames (the old folder is deleted after), when it fails it is deleted."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        yield tmp
        replace_folder(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def replace_folder(source: str | os.PathLike, target: str | os.PathLike) -> None:
    """Rename the finished folder ``source`` to ``target``; an existing ``target`` is renamed
    away first and deleted after, so ``target`` names a whole folder at every moment but one
    rename's gap."""
    source, target = Path(source), Path(target)
    if target.exists():
        old = target.parent / f".{target.name}.old-{uuid.uuid4().hex[:8]}"
        os.rename(target, old)
        os.rename(source, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(source, target)
