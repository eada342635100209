"""What `labelloop serve` exposes: Streamlit's security options set explicitly, a Host allow-list,
a warning and the real address when bound beyond this machine."""

from __future__ import annotations

import socket

import pytest

from annotator.cli import main as cli_main
from annotator.services import serving as serve


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _websocket_status(port: int, host_header: str) -> str:
    """The status line the app answers a WebSocket handshake for its session stream with."""
    request = (
        "GET /_stcore/stream HTTP/1.1\r\n"
        f"Host: {host_header}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: bGFiZWxsb29wLXRlc3QtMQ==\r\nSec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Protocol: streamlit\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(request.encode("ascii"))
        return conn.makefile("rb").readline().decode("latin-1").strip()


def test_the_app_refuses_a_session_for_another_host_name(tmp_path, project_factory):
    folder = project_factory(tmp_path / "srv", ["a", "b"])
    port = _free_port()
    supervisor = serve.Supervisor(folder, port=port, worker=False, log=lambda message: None)
    try:
        supervisor.start()
        assert serve.wait_until_ready(supervisor.url, timeout=120)
        assert " 101 " in _websocket_status(port, f"127.0.0.1:{port}") + " "
        assert " 101 " not in _websocket_status(port, f"evil.example:{port}") + " "  # DNS rebinding, another domain
    finally:
        supervisor.stop()


def test_streamlit_runs_with_its_security_options_set():
    command = serve.streamlit_command("127.0.0.1", 8501)
    options = dict(zip(command[5::2], command[6::2]))
    assert options["--server.enableXsrfProtection"] == "true"
    assert options["--server.enableCORS"] == "true"
    assert options["--server.enableStaticServing"] == "false"
    hosts = [command[i + 1] for i, part in enumerate(command) if part == "--server.allowedHosts"]
    assert hosts == ["localhost", "127.0.0.1", "::1"]


def test_allowed_hosts_follow_the_bound_address():
    assert serve.allowed_hosts("127.0.0.1") == ["localhost", "127.0.0.1", "::1"]
    assert serve.allowed_hosts("10.1.2.3", ["Labels.Example.com."]) == [
        "localhost", "127.0.0.1", "::1", "10.1.2.3", "labels.example.com"]
    assert socket.gethostname().lower() in serve.allowed_hosts("0.0.0.0")


def test_addresses_shown_are_the_bound_ones():
    assert serve.app_url("127.0.0.1", 8501) == "http://127.0.0.1:8501"
    assert serve.app_url("::1", 8501) == "http://[::1]:8501"
    assert serve.app_url("10.1.2.3", 80) == "http://10.1.2.3:80"
    assert serve.app_url("0.0.0.0", 8501) == f"http://{socket.gethostname()}:8501"
    assert "all interfaces" in serve.describe_address("0.0.0.0", 8501)
    assert serve.local_url("0.0.0.0", 8501) == "http://127.0.0.1:8501"
    assert serve.exposure_warning("127.0.0.1", 8501, []) is None
    assert serve.exposure_warning("localhost", 8501, []) is None


@pytest.mark.parametrize("command", ["serve", "demo"])
def test_binding_beyond_this_machine_warns(tmp_path, project_factory, capsys, command):
    folder = project_factory(tmp_path / "srv", ["a", "b"])
    with socket.socket() as busy:  # the command stops at the busy port, after its warning
        busy.bind(("0.0.0.0", 0))
        busy.listen()
        port = busy.getsockname()[1]
        where = ["--project", str(folder)] if command == "serve" else ["--dir", str(tmp_path / "demo")]
        assert cli_main([command, *where, "--host", "0.0.0.0", "--port", str(port), "--no-worker"]) == 1
    err = capsys.readouterr().err
    assert "warning: the app listens on 0.0.0.0" in err and "plain HTTP" in err and "TLS" in err
    assert "X-Frame-Options" in err and "--allowed-host" in err
