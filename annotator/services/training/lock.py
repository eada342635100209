"""One worker per project: an exclusive ``flock`` on ``<project>/worker.lock``.

The kernel releases the lock when the process dies, even by SIGKILL, so a
crashed worker never blocks the next one. The file holds the owner's pid.
A project whose tables are in PostgreSQL may be opened from several hosts, each
with its own folder: there the worker also holds a session-level advisory lock
on the server (``annotator.store.project.hold_across_hosts``), which the server
drops when the worker's connection goes, however the worker ended.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from annotator.errors import ProjectError
from annotator.store.project import LockTaken, hold_across_hosts

LOCK_FILENAME = "worker.lock"


class WorkerLockError(ProjectError):
    """Another worker (or a foreground training run) holds the project."""


def _read_pid(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        return os.read(fd, 64).decode("ascii", "replace").strip() or "?"
    except OSError:
        return "?"


# Lock files this process holds -> nesting depth: taking the lock again inside the
# process (the CLI takes it before importing torch, then runs the worker) is a no-op.
_held: dict[Path, int] = {}


@contextlib.contextmanager
def worker_lock(project_dir: str | os.PathLike) -> Iterator[Path]:
    """Hold the project's worker lock for the block; raise WorkerLockError if it is taken."""
    path = (Path(project_dir) / LOCK_FILENAME).resolve()
    if _held.get(path):
        _held[path] += 1
        try:
            yield path
        finally:
            _held[path] -= 1
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise WorkerLockError(
                f"a worker is already running on {project_dir} (pid {_read_pid(fd)}); stop it first"
            ) from None
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        _held[path] = 1
        try:
            with hold_across_hosts(Path(project_dir), "worker"):
                yield path
        except LockTaken as taken:
            raise WorkerLockError(f"a worker is already running on {project_dir} ({taken}); stop it first") from None
        finally:
            del _held[path]
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
