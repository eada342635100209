"""labelloop user: add, list, remove and passwd; the last active lead stays; no password option."""

from __future__ import annotations

import pytest

from annotator.cli import build_parser
from tests.helpers.cli import run


def test_user_commands(tmp_path, capsys, monkeypatch):
    folder = str(tmp_path / "P")
    run(["init", folder, "--labels", "pos,neg"], capsys)
    code, out, _ = run(["user", "add", "alice", "--role", "lead", "--password-stdin", "--project", folder],
                       capsys, "correct horse\n", monkeypatch)
    assert code == 0 and "added lead alice" in out
    code, _, err = run(["user", "add", "alice", "--role", "lead", "--password-stdin", "--project", folder],
                       capsys, "correct horse\n", monkeypatch)
    assert code == 1 and "already exists" in err
    code, _, err = run(["user", "add", "bob", "--role", "annotator", "--password-stdin", "--project", folder],
                       capsys, "short\n", monkeypatch)
    assert code == 1 and "at least 8 characters" in err
    prompts = iter(["first password", "other password"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(prompts))
    code, _, err = run(["user", "add", "bob", "--role", "annotator", "--project", folder], capsys)
    assert code == 1 and "differ" in err
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "same password")
    assert run(["user", "add", "bob", "--role", "annotator", "--project", folder], capsys)[0] == 0
    code, out, _ = run(["user", "list", "--project", folder], capsys)
    assert code == 0 and "alice\tlead\tactive" in out and "bob\tannotator\tactive" in out
    assert run(["user", "remove", "bob", "--project", folder], capsys)[0] == 0
    assert "bob\tannotator\tinactive" in run(["user", "list", "--project", folder], capsys)[1]
    code, out, _ = run(["user", "passwd", "alice", "--password-stdin", "--project", folder],
                       capsys, "a new password\n", monkeypatch)
    assert code == 0
    from annotator.services.passwords import verify_password
    from annotator.services.projects import open_project
    from annotator.store.users import get_user

    with open_project(folder) as project:
        assert verify_password("a new password", get_user(project.db, "alice")["password_hash"])
    code, _, err = run(["user", "passwd", "nobody", "--password-stdin", "--project", folder],
                       capsys, "a new password\n", monkeypatch)
    assert code == 1 and "no user 'nobody'" in err


def test_the_cli_cannot_deactivate_or_demote_the_last_lead(tmp_path, capsys, monkeypatch):
    folder = str(tmp_path / "P")
    run(["init", folder, "--labels", "pos,neg"], capsys)
    for name, role in (("alice", "lead"), ("bob", "annotator")):
        assert run(["user", "add", name, "--role", role, "--password-stdin", "--project", folder],
                   capsys, "correct horse\n", monkeypatch)[0] == 0
    code, _, err = run(["user", "remove", "alice", "--project", folder], capsys)
    assert code == 1 and err.count("\n") == 1 and "'alice' is the last active lead" in err
    assert "alice\tlead\tactive" in run(["user", "list", "--project", folder], capsys)[1]
    assert run(["user", "add", "carol", "--role", "lead", "--password-stdin", "--project", folder],
               capsys, "correct horse\n", monkeypatch)[0] == 0
    assert run(["user", "remove", "alice", "--project", folder], capsys)[0] == 0  # carol stays
    code, _, err = run(["user", "remove", "carol", "--project", folder], capsys)
    assert code == 1 and "last active lead" in err


def test_password_is_not_an_option():
    with pytest.raises(SystemExit):
        build_parser().parse_args(["user", "add", "x", "--role", "lead", "--password", "secret"])


def test_user_add_with_no_input_is_one_line(tmp_path, capsys, monkeypatch):
    """``labelloop user add NAME --role R < /dev/null``: the prompt meets the end of the input."""
    import subprocess

    from tests.helpers.cli import CLI

    folder = str(tmp_path / "P")
    run(["init", folder, "--labels", "pos,neg"], capsys)
    result = subprocess.run([*CLI, "user", "add", "zed", "--role", "lead", "--project", folder],
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, start_new_session=True)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "labelloop: error: no password: the input ended before one was typed "
        "(to give it on standard input, use --password-stdin)")
    assert "zed" not in run(["user", "list", "--project", folder], capsys)[1]
