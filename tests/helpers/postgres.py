"""A throwaway PostgreSQL server for the tests: Debian's binaries (``apt-get install postgresql``) run
on a unix socket in a temporary folder, trust authentication, no TCP port.

``initdb`` refuses to run as root, so under root (CI) the server runs as the ``postgres`` user
(``runuser -u postgres --``) in a folder it owns; otherwise as the current user.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


def _newest_bin() -> Path:
    """Debian's newest installed server: /usr/lib/postgresql/<major>/bin (15 on bookworm)."""
    majors = sorted((p for p in Path("/usr/lib/postgresql").glob("*/bin") if p.parent.name.isdigit()),
                    key=lambda p: int(p.parent.name))
    return majors[-1] if majors else Path("/usr/lib/postgresql/15/bin")


PG_BIN = _newest_bin()
SERVICE_USER = "postgres"
DATABASE = "labelloop_test"


def binaries_missing() -> str | None:
    """Why no server can be started here, or None."""
    if not (PG_BIN / "initdb").is_file():
        return f"no PostgreSQL server binaries in {PG_BIN} (apt-get install postgresql)"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser: initdb refuses root"
    return None


@dataclass
class Server:
    folder: Path
    user: str
    seconds_to_start: float

    @property
    def url(self) -> str:
        return f"postgresql://{self.user}@/{DATABASE}?host={self.folder}"

    def stop(self) -> None:
        _as_owner(self.user, [str(PG_BIN / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "stop"],
                  check=False)
        shutil.rmtree(self.folder, ignore_errors=True)


def _as_owner(user: str | None, command: list[str], check: bool = True) -> None:
    if user is not None and os.geteuid() == 0:
        command = ["runuser", "-u", user, "--", *command]
    subprocess.run(command, check=check, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)


def start_server() -> Server:
    """initdb + pg_ctl start in a new temporary folder; the database ``labelloop_test`` created."""
    started = time.perf_counter()
    folder = Path(tempfile.mkdtemp(prefix="labelloop-pg-"))
    user = SERVICE_USER if os.geteuid() == 0 else None
    if user is not None:
        shutil.chown(folder, user, user)
    data = folder / "data"
    role = user or os.environ.get("USER") or "postgres"
    _as_owner(user, [str(PG_BIN / "initdb"), "-D", str(data), "-U", role, "--auth=trust", "-E", "UTF8",
                     "--no-sync", "--locale=C.UTF-8"])
    options = (f"-c listen_addresses='' -c unix_socket_directories='{folder}' -c fsync=off "
               "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
    _as_owner(user, [str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"),
                     "-w", "start"])
    _as_owner(user, [str(PG_BIN / "createdb"), "-h", str(folder), "-U", role, DATABASE])
    return Server(folder, role, time.perf_counter() - started)
