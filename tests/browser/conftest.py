"""Browser tests: a real `labelloop serve` driven by Debian's Chromium through Playwright.

Chromium missing: these tests FAIL when CI=true (CI must install it: .ci/run
does) and are skipped locally with the reason.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _chromium_or_reason() -> str | None:
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        return f"{CHROMIUM} is missing (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is missing (pip install -e '.[dev]')"
    return None


@pytest.fixture(scope="session")
def chromium():
    """A launched headless Chromium (Playwright sync API), closed at the end."""
    reason = _chromium_or_reason()
    if reason is not None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"browser tests need Chromium in CI: {reason}", pytrace=False)
        pytest.skip(f"browser test skipped locally: {reason}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _children(pid: int) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as handle:
                if int(handle.read().split(")")[-1].split()[1]) == pid:
                    found.append(int(name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


class Served:
    """`labelloop serve` in its own process group, plus the app and worker it started."""

    def __init__(self, project: Path, *, worker: bool = True):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = project / "serve.log"
        command = [sys.executable, "-c", "import sys; from annotator.cli import main; sys.exit(main())",
                   "serve", "--project", str(project), "--port", str(self.port)]
        if not worker:
            command.append("--no-worker")
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        self.children: list[int] = []

    def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"labelloop serve exited early:\n{self.log_path.read_text()}")
            self.children = sorted(set(self.children) | set(_children(self.process.pid)))
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        self.children = sorted(set(self.children) | set(_children(self.process.pid)))
                        return
            except OSError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"{self.url} not ready after {timeout:.0f} s:\n{self.log_path.read_text()}")

    def stop(self) -> int | None:
        """SIGTERM serve (it stops its children); then make sure every process it started is gone."""
        status = None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                status = self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                status = self.process.wait()
        else:
            status = self.process.returncode
        for pid in self.children:
            if alive(pid):
                try:
                    os.killpg(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        self._log.close()
        return status


@pytest.fixture
def serve_project():
    """serve_project(folder, worker=True) -> Served (ready); stopped at teardown even on failure."""
    started: list[Served] = []

    def start(folder: Path, *, worker: bool = True) -> Served:
        served = Served(folder, worker=worker)
        started.append(served)
        served.wait_ready()
        return served

    yield start
    for served in started:
        served.stop()



@pytest.fixture
def is_alive():
    """is_alive(pid) -> bool (a zombie counts as gone)."""
    return alive
