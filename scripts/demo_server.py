"""What the screenshot scripts share: the demo project served as `labelloop demo` serves it, in a scratch
folder, until its worker has published the first evaluated model; signing in in Chromium."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from annotator.services.dashboard import model_stats
from annotator.services.demo import ensure_demo_project
from annotator.services.projects import open_project

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@contextmanager
def served_demo(scratch: Path, *, model_timeout: float = 900.0):
    """Create the demo in ``scratch`` and serve it with its worker: yields (url, passwords) once the
    worker has published a model measured on the evaluation set (what a new user sees a minute after
    ``labelloop demo``)."""
    info, passwords = ensure_demo_project(scratch / "demo")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-c", "import sys; from annotator.cli import main; sys.exit(main())",
         "serve", "--project", str(info.path), "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=(scratch / "serve.log").open("w"), start_new_session=True,
    )
    try:
        _wait(lambda: _healthy(url), 120, "the app")
        _wait(lambda: _model_ready(info.path), model_timeout, "the worker's first evaluated model")
        yield url, passwords
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _wait(ready, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not ready():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not ready after {seconds:.0f} s")
        time.sleep(1.0)


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/_stcore/health", timeout=2):
            return True
    except OSError:
        return False


def _model_ready(folder: Path) -> bool:
    with open_project(folder) as project:
        return model_stats(project)["accuracy"] is not None


def sign_in(page, url: str, name: str, password: str, *, path: str = "") -> None:
    page.goto(f"{url}/{path}")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password", exact=True).fill(password)
    page.keyboard.press("Enter")
    page.wait_for_function("() => !document.querySelector('input[type=password]')", timeout=60_000)
