"""Several processes labeling at once: every label lands, none twice, never "database is locked"."""

from __future__ import annotations

import multiprocessing

import pytest

from annotator.services.imports import import_file
from annotator.services.projects import open_project
from annotator.store.labels import add_label
from tests.helpers.files import write_csv

PROCESSES = 8
LABELS_EACH = 500


@pytest.fixture
def backend() -> str:
    """SQLite's writer lock (a file lock beside project.db) is this module's subject: its projects are
    SQLite even under LABELLOOP_TEST_BACKEND=postgresql (PostgreSQL's lock: tests/store/test_postgres.py)."""
    return "sqlite"


def _label_many(folder: str, worker: int, example_ids: list[int], queue) -> None:
    """One process: its own connection, one short transaction per label."""
    try:
        with open_project(folder) as project:
            for i, example_id in enumerate(example_ids):
                add_label(project.db, example_id, ("pos", "neg", "neutral")[i % 3], f"annotator{worker}")
        queue.put((worker, None))
    except Exception as error:  # noqa: BLE001 - reported to the parent, which fails the test with it
        queue.put((worker, f"{type(error).__name__}: {error}"))


def test_eight_processes_label_at_once(project, tmp_path):
    rows = [{"text": f"ticket number {i}"} for i in range(PROCESSES * LABELS_EACH)]
    import_file(project, write_csv(tmp_path / "pool.csv", rows))
    ids = [row[0] for row in project.db.execute("SELECT id FROM examples ORDER BY id")]
    # fork starts fast; each child opens its own connection and never touches the parent's
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    queue = context.Queue()
    workers = [
        context.Process(
            target=_label_many,
            args=(str(project.path), w, ids[w * LABELS_EACH : (w + 1) * LABELS_EACH], queue),
        )
        for w in range(PROCESSES)
    ]
    for process in workers:
        process.start()
    results = [queue.get(timeout=300) for _ in workers]
    for process in workers:
        process.join(timeout=60)
    assert [error for _, error in results if error] == []
    assert all(process.exitcode == 0 for process in workers)
    total, distinct = project.db.execute(
        "SELECT COUNT(*), COUNT(DISTINCT example_id || '/' || annotator) FROM labels"
    ).fetchone()
    assert total == distinct == PROCESSES * LABELS_EACH
    per_annotator = dict(project.db.execute("SELECT annotator, COUNT(*) FROM labels GROUP BY annotator"))
    assert per_annotator == {f"annotator{w}": LABELS_EACH for w in range(PROCESSES)}


def test_write_transactions_queue_on_the_writer_lock(project):
    """A write waits in the kernel while another holds the writer lock, then goes in."""
    import fcntl
    import threading

    from annotator.store.connection import write_transaction

    order: list[str] = []
    entered = threading.Event()
    def second() -> None:  # its own connection, as each app session has
        with open_project(project.path) as other, write_transaction(other.db):
            order.append("second in")
        entered.set()

    with open(project.path / "project.db-writer", "ab") as lock:  # what another writer holds
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        order.append("first in")
        thread = threading.Thread(target=second)
        thread.start()
        assert not entered.wait(0.3)  # blocked while the lock is held
        order.append("first out")
        fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
    thread.join(timeout=30)
    assert entered.is_set()
    assert order == ["first in", "first out", "second in"]


def _hold_writer_lock_forever(folder: str, ready) -> None:
    import time

    from annotator.store.connection import write_transaction

    with open_project(folder) as project, write_transaction(project.db):
        ready.set()
        time.sleep(600)


def test_writer_lock_is_freed_when_its_holder_is_killed(project, tmp_path):
    import os
    import signal

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    ready = context.Event()
    holder = context.Process(target=_hold_writer_lock_forever, args=(str(project.path), ready))
    holder.start()
    assert ready.wait(60)
    os.kill(holder.pid, signal.SIGKILL)
    holder.join(timeout=30)
    import_file(project, write_csv(tmp_path / "pool.csv", [{"text": "after the kill"}]))
    example_id = project.db.execute("SELECT id FROM examples").fetchone()[0]
    add_label(project.db, example_id, "pos", "ann")
    assert project.db.execute("SELECT COUNT(*) FROM labels").fetchone()[0] == 1


HOLD_THE_WRITER_LOCK = """
import sys, time
from annotator.services.projects import open_project
from annotator.store.connection import write_transaction
with open_project(sys.argv[1]) as project, write_transaction(project.db):
    print("holding", flush=True)
    time.sleep(600)
"""


def test_a_stopped_writer_makes_others_time_out_not_hang(project, tmp_path):
    """A CLI writer stopped (SIGSTOP, Ctrl-Z) while holding the writer lock: every other write
    gives up after its busy timeout with a clear error, and goes in once the holder is gone."""
    import os
    import signal
    import subprocess
    import sys

    import pytest

    from annotator.store.connection import WriterLockTimeout, close, connect, write_transaction

    import_file(project, write_csv(tmp_path / "pool.csv", [{"text": "one"}]))
    example_id = project.db.execute("SELECT id FROM examples").fetchone()[0]
    holder = subprocess.Popen([sys.executable, "-c", HOLD_THE_WRITER_LOCK, str(project.path)],
                              stdout=subprocess.PIPE, text=True)
    impatient = connect(project.db_path, busy_timeout=0.5)
    try:
        assert holder.stdout.readline().strip() == "holding"
        os.kill(holder.pid, signal.SIGSTOP)
        for _ in range(2):  # the second try takes over the first one's wait
            with pytest.raises(WriterLockTimeout, match=rf"over 0.5 s by another process \(pid {holder.pid}\)"):
                add_label(impatient, example_id, "pos", "ann")
        assert project.db.execute("SELECT COUNT(*) FROM labels").fetchone()[0] == 0
    finally:
        os.kill(holder.pid, signal.SIGCONT)
        holder.kill()
        holder.wait(timeout=30)
    add_label(impatient, example_id, "pos", "ann")
    with write_transaction(project.db):  # the helper let go of the lock: other connections write too
        pass
    close(impatient)
    assert project.db.execute("SELECT COUNT(*) FROM labels").fetchone()[0] == 1


def test_a_write_lock_held_outside_labelloop_times_out_with_the_same_error(project, tmp_path):
    """A program that writes without the writer lock (an sqlite3 shell) and keeps its transaction open."""
    import sqlite3

    import pytest

    from annotator.store.connection import WriterLockTimeout, close, connect, write_transaction

    shell = sqlite3.connect(project.db_path, isolation_level=None)
    shell.execute("BEGIN IMMEDIATE")
    impatient = connect(project.db_path, busy_timeout=0.3)
    try:
        with pytest.raises(WriterLockTimeout, match="another program"):
            with write_transaction(impatient):
                pass
    finally:
        shell.execute("ROLLBACK")
        shell.close()
    with write_transaction(impatient):  # nothing left behind: the writer lock was let go
        pass
    close(impatient)
