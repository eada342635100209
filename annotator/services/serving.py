"""``labelloop serve``: run the Streamlit app and the background worker as two child processes.

Each child runs in its own process group (a new session), so a Ctrl-C in the
terminal reaches only this supervisor, which then stops both children in
order: SIGTERM to the whole group, a grace period, SIGKILL, wait. On Linux a
child also gets SIGTERM if the supervisor itself is killed outright, so no
process is left behind. If the worker dies, the app keeps running: the death
is logged and the worker restarted after a growing pause.

The app runs with Streamlit's security options set explicitly: XSRF
protection on, CORS limited to the app's own origin, and a Host allow-list
(``server.allowedHosts``) so a page on another domain (DNS rebinding) gets no
session. Bound beyond this machine, serve warns that the traffic is plain
HTTP and how to put TLS in front (README, "Security model").
"""

from __future__ import annotations

import errno
import ipaddress
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from annotator.config import PROJECT_ENV
from annotator.errors import LabelloopError
from annotator.services.projects import open_project

APP_MAIN = Path(__file__).resolve().parents[1] / "app" / "main.py"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8501
ALL_INTERFACES = ("0.0.0.0", "::", "")
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
STOP_TIMEOUT_SECONDS = 10.0
READY_TIMEOUT_SECONDS = 120.0
WORKER_RESTART_FIRST = 2.0
WORKER_RESTART_MAX = 300.0
WORKER_HEALTHY_AFTER = 600.0  # a worker that ran this long restarts again after the first pause


class ServeError(LabelloopError):
    """The app could not be started (busy port, app exited)."""


def is_local(host: str) -> bool:
    """True when ``host`` is reachable from this machine only (a loopback address or name)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _machine_names() -> list[str]:
    """This machine's host name, full name and addresses: what other machines may call it."""
    names = [socket.gethostname(), socket.getfqdn()]
    try:
        names += [info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None)]
    except OSError:
        pass
    return names


def allowed_hosts(host: str, extra: tuple[str, ...] | list[str] = ()) -> list[str]:
    """The Host names the app accepts a session from: this machine's loopback names, the bound
    address (for all interfaces: this machine's names and addresses) and ``extra``."""
    names = [*LOOPBACK_NAMES]
    if not is_local(host):
        names += _machine_names() if host in ALL_INTERFACES else [host]
    names += list(extra)
    return list(dict.fromkeys(name.strip().lower().rstrip(".") for name in names if name and name.strip()))


def streamlit_command(host: str, port: int, hosts: list[str] | None = None) -> list[str]:
    command = [
        sys.executable, "-m", "streamlit", "run", str(APP_MAIN),
        "--server.address", host,
        "--server.port", str(port),
        "--server.headless", "true",
        "--server.fileWatcherType", "none",
        "--server.runOnSave", "false",
        "--server.enableXsrfProtection", "true",
        "--server.enableCORS", "true",  # no corsAllowedOrigins: the app's own origin only
        "--server.enableStaticServing", "false",
        "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "viewer",
        "--global.developmentMode", "false",
    ]
    for name in hosts if hosts is not None else allowed_hosts(host):
        command += ["--server.allowedHosts", name]
    return command


def worker_command_for(project_dir: Path, score_engine: str = "local", ray_address: str | None = None) -> list[str]:
    """``labelloop worker`` with this interpreter (and its pool-scoring engine when not local)."""
    command = [sys.executable, "-m", "annotator.cli", "worker", "--project", str(project_dir)]
    if score_engine != "local":
        command += ["--score-engine", score_engine]
    if ray_address:
        command += ["--ray-address", ray_address]
    return command


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: ask the kernel to SIGTERM this child when the supervisor dies."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def app_url(host: str, port: int) -> str:
    """The address the app is served at: the bound address itself, or for all interfaces this machine's name."""
    return _url(socket.gethostname() if host in ALL_INTERFACES else host, port)


def local_url(host: str, port: int) -> str:
    """The app's address from this machine (what the health check polls)."""
    if host in ALL_INTERFACES:
        return _url("::1" if host == "::" else "127.0.0.1", port)
    return _url(host, port)


def describe_address(host: str, port: int) -> str:
    """Where the app is, for people: e.g. ``http://127.0.0.1:8501``."""
    if host in ALL_INTERFACES:
        return f"{app_url(host, port)} (all interfaces; on this machine {local_url(host, port)})"
    return app_url(host, port)


def exposure_warning(host: str, port: int, hosts: list[str]) -> str | None:
    """What to tell whoever binds the app beyond this machine; None for a loopback address."""
    if is_local(host):
        return None
    return (
        f"warning: the app listens on {host or 'all interfaces'}, port {port}, beyond this machine, over plain "
        "HTTP: anyone who can reach it gets the sign-in page, and passwords and texts cross the network "
        "unencrypted. Serve it through a reverse proxy with TLS instead (bind to 127.0.0.1 behind it; "
        "README, 'Security model'), and let the proxy send X-Frame-Options: DENY (the app sets no frame "
        f"protection). Sessions are accepted for these host names only: {', '.join(hosts)} "
        "(add others with --allowed-host)."
    )


def wait_until_ready(url: str, timeout: float, alive: Callable[[], bool] = lambda: True) -> bool:
    """Poll Streamlit's health endpoint until it answers ok, the app dies, or ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and alive():
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.2)
    return False


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass
    except PermissionError:
        process.send_signal(sig)


def stop_processes(processes: list[subprocess.Popen], timeout: float = STOP_TIMEOUT_SECONDS) -> list[int]:
    """SIGTERM every process group at once, SIGKILL what is left after ``timeout``, reap all.

    Returns the pids that had to be killed.
    """
    killed: list[int] = []
    running = [p for p in processes if p is not None and p.poll() is None]
    for process in running:
        _signal_group(process, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for process in running:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait()
            killed.append(process.pid)
    for process in running:
        # The leader is gone; make sure nothing else in its group lingers.
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    return killed


class Supervisor:
    """Starts, watches and stops the app and the worker for one project."""

    def __init__(
        self,
        project_dir: str | os.PathLike,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        *,
        worker: bool = True,
        log: Callable[[str], None] | None = None,
        stop_timeout: float = STOP_TIMEOUT_SECONDS,
        app_command: list[str] | None = None,
        worker_command: list[str] | None = None,
        extra_hosts: tuple[str, ...] | list[str] = (),
        score_engine: str = "local",
        ray_address: str | None = None,
    ):
        self.project_dir = Path(project_dir).resolve()
        self.host, self.port = host, port
        self.with_worker = worker
        self.log = log or (lambda message: print(f"labelloop serve: {message}", file=sys.stderr, flush=True))
        self.stop_timeout = stop_timeout
        self.allowed_hosts = allowed_hosts(host, extra_hosts)
        self.app_command = app_command or streamlit_command(host, port, self.allowed_hosts)
        self.worker_command = worker_command or worker_command_for(self.project_dir, score_engine, ray_address)
        self.app: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None
        self._stopping = False
        self._worker_started_at = 0.0
        self._worker_pause = WORKER_RESTART_FIRST
        self._worker_restart_at: float | None = None

    @property
    def url(self) -> str:
        """Where this machine reaches the app (the health check polls it)."""
        return local_url(self.host, self.port)

    def _spawn(self, command: list[str]) -> subprocess.Popen:
        env = dict(os.environ, **{PROJECT_ENV: str(self.project_dir)})
        env.setdefault("PYTHONUNBUFFERED", "1")
        return subprocess.Popen(
            command,
            env=env,
            cwd=str(self.project_dir),
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )

    def start(self) -> None:
        with open_project(self.project_dir):  # a clear one-line error before anything starts
            pass
        if not port_is_free(self.host, self.port):
            raise ServeError(f"port {self.port} on {self.host} is in use; pass --port with a free one")
        self.app = self._spawn(self.app_command)
        self.log(f"app started (pid {self.app.pid})")
        if self.with_worker:
            self._start_worker()

    def _start_worker(self) -> None:
        self.worker = self._spawn(self.worker_command)
        self._worker_started_at = time.monotonic()
        self._worker_restart_at = None
        self.log(f"worker started (pid {self.worker.pid})")

    def request_stop(self, *_: object) -> None:
        self._stopping = True

    def _watch_worker(self) -> None:
        now = time.monotonic()
        if self.worker is not None and self.worker.poll() is not None:
            code = self.worker.returncode
            if now - self._worker_started_at > WORKER_HEALTHY_AFTER:
                self._worker_pause = WORKER_RESTART_FIRST
            self.log(
                f"worker exited with status {code}; the app keeps running; "
                f"restarting the worker in {self._worker_pause:.0f} s"
            )
            self.worker = None
            self._worker_restart_at = now + self._worker_pause
            self._worker_pause = min(WORKER_RESTART_MAX, self._worker_pause * 2)
        if self.worker is None and self._worker_restart_at is not None and now >= self._worker_restart_at:
            self._start_worker()

    def run(self, *, poll: float = 0.2) -> int:
        """Watch the children until a stop is requested or the app exits; stop both; return a status."""
        status = 0
        try:
            while not self._stopping:
                if self.app is None or self.app.poll() is not None:
                    code = self.app.returncode if self.app is not None else None
                    self.log(f"app exited with status {code}; stopping")
                    status = code or 1
                    break
                if self.with_worker:
                    self._watch_worker()
                time.sleep(poll)
        finally:
            self.stop()
        return status

    def stop(self) -> None:
        self._stopping = True
        children = {name: getattr(self, name) for name in ("worker", "app")}
        for name, process in children.items():
            if process is not None and process.poll() is None:
                self.log(f"stopping the {name} (pid {process.pid})")
        killed = stop_processes([p for p in children.values() if p is not None], self.stop_timeout)
        for name, process in children.items():
            if process is not None and process.pid in killed:
                self.log(f"the {name} did not stop within {self.stop_timeout:.0f} s of SIGTERM; killed it")
        self.app = self.worker = None


def serve(
    project_dir: str | os.PathLike,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    worker: bool = True,
    on_ready: Callable[[str], None] | None = None,
    extra_hosts: tuple[str, ...] | list[str] = (),
    score_engine: str = "local",
    ray_address: str | None = None,
) -> int:
    """Run the app (and the worker) until Ctrl-C or SIGTERM; return an exit status.

    ``on_ready`` gets the app's address for people (see :func:`describe_address`);
    ``score_engine``/``ray_address``: where the worker runs a fine-tune's pass over the pool.
    """
    supervisor = Supervisor(project_dir, host, port, worker=worker, extra_hosts=extra_hosts,
                            score_engine=score_engine, ray_address=ray_address)
    warning = exposure_warning(host, port, supervisor.allowed_hosts)
    if warning:
        supervisor.log(warning)
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    for sig in previous:
        signal.signal(sig, supervisor.request_stop)
    try:
        supervisor.start()
        ready = wait_until_ready(
            supervisor.url, READY_TIMEOUT_SECONDS,
            alive=lambda: not supervisor._stopping and supervisor.app is not None and supervisor.app.poll() is None,
        )
        if ready:
            (on_ready or (lambda where: print(f"Labelloop is running at {where}  (Ctrl-C to stop)", flush=True)))(
                describe_address(host, port)
            )
        return supervisor.run()
    except OSError as error:
        if error.errno == errno.ENOENT:
            raise ServeError(f"cannot start a child process: {error}") from None
        raise
    finally:
        supervisor.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
