"""labelloop serve: the supervisor starts two process groups, survives a dying worker, leaves no orphans."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest

from annotator.cli import main as cli_main
from annotator.services import serving as serve

SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]
# A process that ignores SIGTERM and starts a grandchild in its own process group.
STUBBORN = [
    sys.executable, "-c",
    "import signal, subprocess, sys, time\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
    "print(child.pid, flush=True)\n"
    "time.sleep(120)\n",
]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie still answers kill(0); read its state
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _wait_for(predicate, timeout=20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def served_project(tmp_path, project_factory):
    return project_factory(tmp_path / "srv", ["a", "b"])


def test_serve_has_help(capsys):
    with pytest.raises(SystemExit) as done:
        cli_main(["serve", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "--port" in out and "--no-worker" in out and "--host" in out and "--score-engine" in out
    assert "Example" in out


def test_the_worker_gets_the_score_engine_serve_was_given(served_project):
    from annotator.cli import build_parser

    plain = serve.Supervisor(served_project).worker_command
    assert "--score-engine" not in plain and "--ray-address" not in plain
    command = serve.Supervisor(served_project, score_engine="ray", ray_address="10.0.0.5:6379").worker_command
    assert command[:3] == [sys.executable, "-m", "annotator.cli"]
    parsed = build_parser().parse_args(command[3:])  # the worker's own parser accepts what serve passes
    assert (parsed.command, parsed.engine, parsed.ray_address) == ("worker", "ray", "10.0.0.5:6379")
    assert str(served_project.resolve()) == parsed.project


def test_serve_refuses_a_score_engine_without_a_worker(served_project, capsys):
    assert cli_main(["serve", "--project", str(served_project), "--no-worker", "--score-engine", "ray"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "leave out --no-worker" in err[0]


def test_serve_refuses_a_folder_that_is_not_a_project(tmp_path, capsys):
    assert cli_main(["serve", "--project", str(tmp_path), "--port", "1"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a Labelloop project" in err[0]


def test_serve_refuses_a_busy_port(served_project):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        supervisor = serve.Supervisor(served_project, port=port, app_command=SLEEPER, worker=False)
        with pytest.raises(serve.ServeError, match="in use"):
            supervisor.start()
    assert supervisor.app is None


def test_a_dying_worker_is_logged_and_restarted_while_the_app_runs(served_project, monkeypatch):
    monkeypatch.setattr(serve, "WORKER_RESTART_FIRST", 0.2)
    messages: list[str] = []
    supervisor = serve.Supervisor(
        served_project, port=0, log=messages.append,
        app_command=SLEEPER, worker_command=[sys.executable, "-c", "raise SystemExit(3)"],
    )
    monkeypatch.setattr(serve, "port_is_free", lambda host, port: True)
    supervisor.start()
    app_pid = supervisor.app.pid
    runner = threading.Thread(target=supervisor.run, kwargs={"poll": 0.05})
    runner.start()
    try:
        assert _wait_for(lambda: sum("worker exited with status 3" in m for m in messages) >= 2)
        assert _alive(app_pid)
    finally:
        supervisor.request_stop()
        runner.join(timeout=30)
    assert not runner.is_alive()
    assert not _alive(app_pid)


def test_stop_kills_children_that_ignore_sigterm_and_their_groups(served_project, monkeypatch):
    monkeypatch.setattr(serve, "port_is_free", lambda host, port: True)
    messages: list[str] = []
    supervisor = serve.Supervisor(
        served_project, port=0, log=messages.append, stop_timeout=0.5,
        app_command=SLEEPER, worker_command=STUBBORN,
    )
    supervisor.start()
    worker = supervisor.worker
    assert _wait_for(lambda: any(
        _parent(pid) == worker.pid for pid in _pids()
    ))
    grandchild = next(pid for pid in _pids() if _parent(pid) == worker.pid)
    app_pid = supervisor.app.pid
    supervisor.stop()
    assert not _alive(worker.pid) and not _alive(app_pid)
    assert _wait_for(lambda: not _alive(grandchild), timeout=5)
    assert any("the worker did not stop" in m and "killed it" in m for m in messages)
    assert not any("the app did not stop" in m for m in messages)


@pytest.mark.slow
def test_sigterm_to_labelloop_serve_stops_everything(served_project, tmp_path):
    """The real command, its real app and worker: SIGTERM leaves no process behind."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", "import sys; from annotator.cli import main; sys.exit(main())",
         "serve", "--project", str(served_project), "--port", str(port), "--no-worker"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    try:
        assert _wait_for(lambda: any(_parent(pid) == process.pid for pid in _pids()), timeout=30)
        children = [pid for pid in _pids() if _parent(pid) == process.pid]
        assert serve.wait_until_ready(f"http://127.0.0.1:{port}", timeout=60)
        process.terminate()
        assert process.wait(timeout=30) == 0
        assert all(not _alive(pid) for pid in children)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, 9)
            process.wait()


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _parent(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return int(handle.read().split(")")[-1].split()[1])
    except (OSError, ValueError, IndexError):
        return None
