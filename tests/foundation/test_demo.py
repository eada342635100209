"""The demo project: created once from sample data, reused afterwards."""

from __future__ import annotations

import pytest

from annotator.cli import main
from annotator.demo import DEMO_LABELS, ensure_demo_project, sample_data_dir
from annotator.errors import ProjectError
from annotator.passwords import verify_password
from annotator.stats import project_stats
from annotator.store import open_project
from annotator.store.settings import get_setting
from annotator.store.users import get_user

from .conftest import snapshot, write_csv


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
    info, credentials = ensure_demo_project(tmp_path / "demo", sample_dir=sample_dir)
    assert info.created and info.pool == 5 and info.eval == 2 and info.labels == DEMO_LABELS
    with open_project(tmp_path / "demo") as project:
        stats = project_stats(project)
        assert stats["labeled"] == 2 and stats["eval_labeled"] == 2  # the pool comes unlabeled
        assert stats["per_annotator"] == {"gold": 2}
        assert get_setting(project.db, "guidelines").startswith("# Guidelines")
        for name, role in (("lead", "lead"), ("annotator", "annotator")):
            user = get_user(project.db, name)
            assert user["role"] == role and verify_password(credentials[name], user["password_hash"])
        before = snapshot(project)
    again, _ = ensure_demo_project(tmp_path / "demo", sample_dir=sample_dir)
    assert not again.created and again.pool == 5
    with open_project(tmp_path / "demo") as project:
        assert snapshot(project) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no staging left over


def test_demo_refuses_a_foreign_folder_and_missing_data(tmp_path, sample_dir):
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(ProjectError, match="not a Labelloop project"):
        ensure_demo_project(foreign, sample_dir=sample_dir)
    (sample_dir / "guidelines.md").unlink()
    with pytest.raises(ProjectError, match="guidelines.md is missing"):
        ensure_demo_project(tmp_path / "demo", sample_dir=sample_dir)
    assert not (tmp_path / "demo").exists()


def test_demo_command_with_shipped_sample_data(tmp_path, capsys):
    try:
        sample_data_dir()
    except ProjectError:
        pytest.skip("sample_data/ is not in this checkout")
    assert main(["demo", "--dir", str(tmp_path / "demo"), "--no-serve"]) == 0
    out = capsys.readouterr().out
    assert "created demo project" in out and "lead / " in out and "annotator / " in out
    assert main(["demo", "--dir", str(tmp_path / "demo"), "--no-serve"]) == 0
    assert "reusing demo project" in capsys.readouterr().out
