"""The demo project: created once from sample data, reused afterwards."""

from __future__ import annotations

import pytest

from annotator.cli import main
from annotator.errors import ProjectError
from annotator.services.demo import DEMO_LABELS, LOGINS_FILE, OLD_FIXED_PASSWORDS, ensure_demo_project, sample_data_dir
from annotator.services.passwords import TEST_ONLY_COST, verify_password
from annotator.services.projects import open_project
from annotator.services.settings import get_setting
from annotator.services.stats import project_stats
from annotator.store.users import get_user
from tests.helpers.files import snapshot, write_csv


@pytest.fixture
def sample_dir(tmp_path):
    """A small stand-in for sample_data/ (same file names and columns)."""
    folder = tmp_path / "sample"
    folder.mkdir()
    write_csv(folder / "support_tickets.csv", [
        {"id": "t1", "text": "I was charged twice", "label": "billing"},
        {"id": "t2", "text": "Where is my parcel?", "label": "shipping"},
        {"id": "t3", "text": "The app crashes on start", "label": "technical"},
    ])
    write_csv(folder / "support_tickets_eval.csv", [
        {"id": "e1", "text": "Cannot log in", "label": "account"},
        {"id": "e2", "text": "Love the new site", "label": "feedback"},
    ])
    (folder / "guidelines.md").write_text("# Guidelines\nPick one label.\n", encoding="utf-8")
    return folder


def test_demo_created_once_then_reused(tmp_path, sample_dir):
    info, credentials = ensure_demo_project(tmp_path / "demo", sample_dir=sample_dir, cost=TEST_ONLY_COST)
    assert info.created and info.pool == 3 and info.eval == 2 and info.labels == DEMO_LABELS
    assert sorted(credentials) == ["annotator", "kenji", "lead", "maria"]
    with open_project(tmp_path / "demo") as project:
        stats = project_stats(project)
        assert stats["eval_labeled"] == 2 and stats["per_annotator"]["gold"] == 2
        assert info.history.labels == sum(n for name, n in stats["per_annotator"].items() if name not in ("gold", "lead"))
        assert get_setting(project.db, "guidelines").startswith("# Guidelines")
        for name, role in (("lead", "lead"), ("annotator", "annotator"), ("maria", "annotator"),
                           ("kenji", "annotator")):
            user = get_user(project.db, name)
            assert user["role"] == role and verify_password(credentials[name], user["password_hash"])
        before = snapshot(project)
    again, shown_again = ensure_demo_project(tmp_path / "demo", sample_dir=sample_dir, cost=TEST_ONLY_COST)
    assert not again.created and again.pool == 3
    assert shown_again == {} and again.logins_file == tmp_path / "demo" / LOGINS_FILE  # said where, not what
    with open_project(tmp_path / "demo") as project:
        assert snapshot(project) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no staging left over


def test_demo_refuses_a_foreign_folder_and_missing_data(tmp_path, sample_dir):
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(ProjectError, match="not a Labelloop project"):
        ensure_demo_project(foreign, sample_dir=sample_dir, cost=TEST_ONLY_COST)
    (sample_dir / "guidelines.md").unlink()
    with pytest.raises(ProjectError, match="guidelines.md is missing"):
        ensure_demo_project(tmp_path / "demo", sample_dir=sample_dir, cost=TEST_ONLY_COST)
    assert not (tmp_path / "demo").exists()


def test_demo_passwords_are_random_per_project_and_kept_in_a_private_file(tmp_path, sample_dir):
    import stat

    first, first_passwords = ensure_demo_project(tmp_path / "one", sample_dir=sample_dir, cost=TEST_ONLY_COST)
    _, second_passwords = ensure_demo_project(tmp_path / "two", sample_dir=sample_dir, cost=TEST_ONLY_COST)
    for name in ("lead", "annotator", "maria", "kenji"):
        assert first_passwords[name] != second_passwords[name]
        assert first_passwords[name] != OLD_FIXED_PASSWORDS.get(name) and len(first_passwords[name]) >= 16
    logins = first.logins_file
    assert stat.S_IMODE(logins.stat().st_mode) == 0o600
    text = logins.read_text(encoding="utf-8")
    assert all(f"{name}\t{password}\t" in text for name, password in first_passwords.items())
    with open_project(first.path) as project:  # the database holds hashes only
        dump = "\n".join(project.db.conn.iterdump())
    assert not any(password in dump for password in first_passwords.values())


def test_a_demo_on_the_old_fixed_passwords_is_flagged(tmp_path, sample_dir):
    from annotator.services.passwords import TEST_ONLY_COST, hash_password
    from annotator.store.users import update_user

    info, _ = ensure_demo_project(tmp_path / "demo", sample_dir=sample_dir, cost=TEST_ONLY_COST)
    assert info.fixed_password_users == []
    with open_project(info.path) as project:
        update_user(project.db, "lead", password_hash=hash_password(OLD_FIXED_PASSWORDS["lead"], cost=TEST_ONLY_COST))
    again, _ = ensure_demo_project(tmp_path / "demo", sample_dir=sample_dir, cost=TEST_ONLY_COST)
    assert again.fixed_password_users == ["lead"]


def test_demo_command_with_shipped_sample_data(tmp_path, capsys):
    try:
        sample_data_dir()
    except ProjectError:
        pytest.skip("sample_data/ is not in this checkout")
    assert main(["demo", "--dir", str(tmp_path / "demo"), "--no-serve"]) == 0
    out = capsys.readouterr().out
    assert "created demo project" in out and "lead / " in out and "annotator / " in out and "maria / " in out
    assert "lead-demo" not in out and LOGINS_FILE in out
    assert "the team's first days:" in out and "2 flags and 3 comments" in out
    assert main(["demo", "--dir", str(tmp_path / "demo"), "--no-serve"]) == 0
    out = capsys.readouterr().out
    assert "reusing demo project" in out and " / " not in out  # the passwords are not shown again
    assert str(tmp_path / "demo" / LOGINS_FILE) in out


def test_demo_without_the_worker_says_so(tmp_path, sample_dir, capsys):
    import socket

    ensure_demo_project(tmp_path / "demo", sample_dir=sample_dir, cost=TEST_ONLY_COST)  # the command reuses it
    with socket.socket() as busy:  # the command stops at the busy port, after saying what it starts
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["demo", "--dir", str(tmp_path / "demo"), "--port", str(port), "--no-worker"]) == 1
    out = capsys.readouterr().out
    assert f"starting the app at http://127.0.0.1:{port} without the training worker" in out
    assert "and the training worker" not in out


def test_the_demo_history_gives_every_lead_page_something_and_is_made_by_the_app_s_calls(tmp_path):
    """The shipped sample: three annotators with blind overlap, disagreements, flags, comments, a late
    label and a relabel from the history, each row with the provenance the queue gives."""
    from annotator.services import dashboard, flags, review

    try:
        sample_data_dir()
    except ProjectError:
        pytest.skip("sample_data/ is not in this checkout")
    info, _ = ensure_demo_project(tmp_path / "demo", cost=TEST_ONLY_COST)
    with open_project(info.path) as project:
        data = dashboard.load_dashboard(project)
        assert {"annotator", "maria", "kenji"} <= set(data.annotators["annotator"])
        assert data.agreement.summary["n_items"] >= 20 and 0 < data.agreement.summary["fleiss_kappa"] < 1
        assert len(review.disagreement_queue(project)) >= 2 and data.adjudicated == 2
        assert len(review.late_queue(project)) == 1
        assert flags.counts(project) == {"flagged": 2, "excluded": 0, "unread_comments": 3}
        rows = project.db.execute(
            "SELECT strategy, model_version, seconds, created_at, superseded_reason FROM labels "
            "WHERE kind = 'annotation'").fetchall()
        assert {strategy for strategy, *_ in rows} <= {"random", "eval", "opened"}
        assert all(seconds and seconds > 0 for _, _, seconds, _, _ in rows)
        created = [row[3] for row in rows]
        assert max(created) - min(created) > 2 * 86_400  # days of work, not one instant
        assert [reason for *_, reason in rows].count("relabel") == 1
        assert get_setting(project.db, "context_columns") == "channel,received"


def test_demo_refuses_a_project_that_is_not_the_demo(tmp_path, capsys):
    from annotator.services.projects import create_project

    create_project(tmp_path / "mine", ["a", "b"]).close()
    assert main(["demo", "--dir", str(tmp_path / "mine"), "--no-serve"]) == 1
    err = capsys.readouterr().err
    assert "is a Labelloop project but not the demo" in err and "lead /" not in err
