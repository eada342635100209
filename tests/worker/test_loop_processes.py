"""The worker as a process of its own: a second worker refuses to start, SIGKILL during a fine-tune loses nothing."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time

from annotator.services import queue
from annotator.services.projects import open_project
from annotator.services.settings import set_settings
from annotator.services.training.lock import worker_lock
from tests.helpers.cli import CLI
from tests.helpers.pool import add_pool, gold_rows


def test_second_worker_refuses_to_start(project):
    with worker_lock(project.path):
        done = subprocess.run([*CLI, "worker", "--project", str(project.path)], capture_output=True, text=True,
                              timeout=120)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "already running" in done.stderr and str(os.getpid()) in done.stderr


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_sigkill_during_finetune_loses_nothing_and_resumes(project, tmp_path, tiny_model_dir):
    rows = gold_rows(160)
    add_pool(project, tmp_path, rows)
    answers = {r["text"]: r["label"] for r in rows}
    set_settings(project.db, model=str(tiny_model_dir), epochs=100, finetune_every=10, batch_size=10)
    for _ in range(120):
        item = queue.next_item(project, "ann")
        queue.save_label(project, "ann", item.example_id, answers[item.text])
    labels_before = project.db.execute("SELECT * FROM labels ORDER BY id").fetchall()
    worker = subprocess.Popen([*CLI, "worker", "--project", str(project.path), "--poll", "0.2"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        with open_project(project.path) as watcher:
            _wait_for(lambda: watcher.db.execute(
                "SELECT id FROM jobs WHERE kind = 'finetune' AND status = 'running' AND progress > 0.05"
            ).fetchone(), 90, "a running fine-tune")
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    # labels intact; no half-published version: every version has its scores and its model folder
    with open_project(project.path) as after:
        db = after.db
        assert db.execute("SELECT * FROM labels ORDER BY id").fetchall() == labels_before
        for version, kind, path, n_scored, pruned in db.execute(
            "SELECT version, kind, path, n_scored, scores_pruned_at FROM model_versions WHERE published_at IS NOT NULL"
        ).fetchall():
            if pruned is None:
                assert db.execute("SELECT COUNT(*) FROM scores WHERE version = ?", (version,)).fetchone()[0] == n_scored
            if kind == "finetune":
                assert (after.path / path / "config.json").is_file()
        assert db.execute("SELECT COUNT(*) FROM model_versions WHERE kind = 'finetune'").fetchone()[0] == 0
        assert db.execute("SELECT status FROM jobs WHERE kind = 'finetune'").fetchone()[0] == "running"
        set_settings(db, epochs=2)
    # the next start (in this process, to spare a torch import) marks the dead job failed,
    # cleans up, and finishes the fine-tune
    from annotator.worker.loop import run_worker

    run_worker(project.path, once=True)
    with open_project(project.path) as resumed:
        db = resumed.db
        statuses = [row[0] for row in db.execute("SELECT status FROM jobs WHERE kind = 'finetune' ORDER BY id")]
        assert statuses == ["failed", "done"]
        version, path = db.execute(
            "SELECT version, path FROM model_versions WHERE kind = 'finetune'").fetchone()
        assert (resumed.path / path / "config.json").is_file()
        assert not [p for p in (resumed.path / "models").iterdir() if p.name.startswith(".")]
        assert db.execute("SELECT COUNT(*) FROM labels").fetchone()[0] == len(labels_before)
        assert db.execute("SELECT COUNT(*) FROM model_versions WHERE published_at IS NULL").fetchone()[0] == 0


def test_a_worker_on_another_host_of_a_postgresql_project_refuses_to_start(tmp_path, postgres_server):
    """Two hosts, two folders, one PostgreSQL schema: the worker lock is the server's, not a file's."""
    import shutil

    from annotator.services.projects import create_project

    with create_project(tmp_path / "host-a", ["a", "b"], database_url=postgres_server.url) as project:
        elsewhere = tmp_path / "host-b"
        elsewhere.mkdir()
        shutil.copy(project.path / "database.json", elsewhere / "database.json")
    with worker_lock(tmp_path / "host-a"):
        done = subprocess.run([*CLI, "worker", "--project", str(elsewhere)], capture_output=True, text=True,
                              timeout=120)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "already running" in done.stderr
    assert f"held by labelloop worker {socket.gethostname()} pid {os.getpid()}" in done.stderr
