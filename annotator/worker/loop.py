"""``labelloop worker``: the learning loop as a process, until SIGTERM/SIGINT.

Takes the project's worker lock (one worker per project), opens the project,
and runs :class:`annotator.services.training.schedule.LearningLoop`. SIGTERM
or SIGINT (or ``stop_event``) stop it: a running fine-tune is cancelled at its
next step, an embedding at its next batch. A SIGKILL loses nothing: labels are
committed by the app, versions are published in one transaction, and the next
start recovers (stale jobs failed, half-written files removed, damaged models
quarantined).
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path

from annotator.services.projects import open_project
from annotator.services.training.lock import worker_lock
from annotator.services.training.schedule import run_once, start


def run_worker(
    project_dir: str | Path,
    *,
    once: bool = False,
    poll_seconds: float = 1.0,
    stop_event: threading.Event | None = None,
    pool_engine: object | None = None,
) -> None:
    """Run the worker on a project until stopped (or one pass with ``once``).

    ``once``: embed and rank the pool, then fine-tune in the foreground if
    labels the last fine-tune did not see exist, and return. ``pool_engine``: where a fine-tune's
    pass over the pool runs (``services.training.pool_engines.open_engine``; None = this process).
    """
    stop = stop_event or threading.Event()
    with worker_lock(project_dir):
        project = open_project(project_dir, check_same_thread=False)
        previous = _install_signals(stop)
        try:
            loop = start(project, stop, poll_seconds, pool_engine=pool_engine)
            if loop is None:
                return
            if once:
                run_once(loop)
                return
            loop.run()
        finally:
            _restore_signals(previous)
            project.close()


def _install_signals(stop: threading.Event) -> dict:
    if threading.current_thread() is not threading.main_thread():
        return {}
    previous = {}
    for number in (signal.SIGTERM, signal.SIGINT):
        previous[number] = signal.signal(number, lambda signum, frame: stop.set())
    return previous


def _restore_signals(previous: dict) -> None:
    for number, handler in previous.items():
        signal.signal(number, handler)
