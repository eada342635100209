"""Taking the writer lock (``flock`` on ``project.db-writer``) with a timeout.

``flock`` itself waits forever, and a holder that is alive but stopped
(SIGSTOP, Ctrl-Z) never lets go. So a writer first tries without waiting;
when the lock is taken, a helper thread waits for it in the kernel (woken the
moment it is released, which keeps writers from starving) on its own open
file of the lock, and the writer waits for the helper at most the
connection's timeout. On a timeout the helper is left waiting: the next write
on the same connection takes it over; otherwise it lets go of the lock as soon
as it gets it.
"""

from __future__ import annotations

import fcntl
import os
import threading
from typing import IO

from annotator.errors import LabelloopError


class WriterLockTimeout(LabelloopError):
    """Another process held the project's writer lock for longer than the busy timeout."""


class _Waiter:
    """A helper thread blocked in ``flock`` on its own file description of the lock."""

    def __init__(self, path: str):
        self.fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        self._mutex = threading.Lock()
        self._wanted = True
        self._held = False
        self._error: OSError | None = None
        self._done = threading.Event()
        threading.Thread(target=self._wait, name="labelloop-writer-lock", daemon=True).start()

    def _wait(self) -> None:
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        except OSError as error:
            self._error = error
        with self._mutex:
            if self._error is None and self._wanted:
                self._held = True
            else:  # failed, or the writer gave up meanwhile: let go at once
                if self._error is None:
                    fcntl.flock(self.fd, fcntl.LOCK_UN)
                os.close(self.fd)
            self._done.set()

    def take(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds; True when the lock is now held through ``self.fd``."""
        self._done.wait(max(0.0, timeout))
        with self._mutex:
            if self._held:
                return True
            if self._error is not None:
                raise self._error
            self._wanted = False
            return False

    def want_again(self) -> bool:
        """Adopt this waiter for a new write; False when it has finished (the lock was let go)."""
        with self._mutex:
            if self._done.is_set():
                return False
            self._wanted = True
            return True


class WriterLock:
    """One connection's writer lock: its open file of ``project.db-writer``, how long a write may
    wait for it, and the helper still waiting after a timeout (the next write takes it over)."""

    def __init__(self, path: str, timeout: float):
        self.file: IO[bytes] = open(path, "ab")  # noqa: SIM115 - lives as long as the connection
        self.timeout = timeout
        self._waiter: _Waiter | None = None

    def acquire(self) -> int:
        """Take the lock; the file descriptor that holds it (for :meth:`release`).

        Raises WriterLockTimeout after ``timeout`` seconds.
        """
        waiter = self._waiter
        if waiter is None or not waiter.want_again():
            try:
                fcntl.flock(self.file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                self._waiter = None
                return self.file.fileno()
            except BlockingIOError:
                waiter = _Waiter(self.file.name)
        if waiter.take(self.timeout):
            self._waiter = None
            return waiter.fd
        self._waiter = waiter
        holder = holder_pid(self.file.fileno())
        who = f" (pid {holder})" if holder else ""
        raise WriterLockTimeout(
            f"the project database stayed locked for over {self.timeout:g} s by another process{who}; "
            "is a labelloop command stopped (Ctrl-Z)? resume it (fg) or end it; nothing was written"
        )

    def release(self, fd: int) -> None:
        """Let go of the lock taken by :meth:`acquire`."""
        fcntl.flock(fd, fcntl.LOCK_UN)
        if fd != self.file.fileno():
            os.close(fd)

    @property
    def closed(self) -> bool:
        return self.file.closed

    def close(self) -> None:
        self.file.close()


def holder_pid(fd: int) -> int | None:
    """The pid holding an flock on the file of ``fd``, from /proc/locks (Linux); None if unknown."""
    try:
        inode = os.fstat(fd).st_ino
        with open("/proc/locks", encoding="ascii", errors="replace") as locks:
            for line in locks:
                fields = line.split()
                if len(fields) >= 6 and fields[1] == "FLOCK" and fields[5].rsplit(":", 1)[-1] == str(inode):
                    return int(fields[4])
    except (OSError, ValueError):
        pass
    return None
