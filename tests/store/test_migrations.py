"""Schema migrations: applied on a fresh database, idempotent on re-open, catching up an older one."""

from __future__ import annotations

from annotator.services.imports import import_file
from annotator.services.projects import create_project, open_project
from annotator.store import migrations
from annotator.store.connection import connect
from tests.helpers.files import snapshot, write_csv

ALL = [migration.name for migration in migrations.migrations._migrations]


def _applied(db):
    return [(m.name, m.applied_at) for m in migrations.migrations.applied(db)]


def test_fresh_database_gets_every_migration(tmp_path):
    with create_project(tmp_path / "p", ["a", "b"]) as project:
        assert [name for name, _ in _applied(project.db)] == ALL
        tables = set(project.db.table_names())
    expected = {"settings", "labelset", "examples", "users", "labels", "leases", "skips",
                "model_versions", "scores", "jobs"}
    assert expected <= tables
    with open_project(tmp_path / "p") as again:
        assert again.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_reopen_applies_nothing_and_keeps_data(tmp_path):
    with create_project(tmp_path / "p", ["a", "b"]) as project:
        import_file(project, write_csv(tmp_path / "d.csv", [{"text": "x", "label": "a"}]), label_column="label")
        before_applied = _applied(project.db)
        before = snapshot(project)
    for _ in range(2):
        with open_project(tmp_path / "p") as project:
            assert _applied(project.db) == before_applied
            assert snapshot(project) == before


def test_older_database_is_brought_up_to_date(tmp_path):
    """A database stopped before the newest migration gets only the missing ones, data kept."""
    folder = tmp_path / "old"
    folder.mkdir()
    db = connect(folder / "project.db")
    migrations.migrations.apply(db, stop_before=ALL[-1])
    assert [name for name, _ in _applied(db)] == ALL[:-1]
    # an older release had data in it
    db.execute("INSERT INTO labelset(name, position, created_at) VALUES ('a', 0, 0)")
    db.execute("INSERT INTO examples(text, text_hash, created_at) VALUES ('kept', 'h1', 0)")
    old_applied = _applied(db)
    db.conn.close()
    with open_project(folder) as project:
        applied = _applied(project.db)
        assert [name for name, _ in applied] == ALL
        assert applied[: len(old_applied)] == old_applied
        assert project.db.execute("SELECT text FROM examples").fetchall() == [("kept",)]


def test_the_watermark_moves_from_the_metrics_into_its_column(tmp_path):
    """m010: versions published before it keep the label id they had seen (stored in their metrics)."""
    folder = tmp_path / "old"
    folder.mkdir()
    db = connect(folder / "project.db")
    migrations.migrations.apply(db, stop_before="m010_version_watermark")
    db.execute("INSERT INTO labelset(name, position, created_at) VALUES ('a', 0, 0)")
    db.execute("INSERT INTO model_versions(version, kind, metrics, created_at, published_at) "
               "VALUES (1, 'head', '{\"max_label_id\": 41, \"accuracy\": 0.5}', 0, 0)")
    db.execute("INSERT INTO model_versions(version, kind, metrics, created_at, published_at) "
               "VALUES (2, 'coldstart', '{}', 0, 0)")
    db.conn.commit()
    db.conn.close()
    with open_project(folder) as project:
        assert project.db.execute("SELECT version, watermark FROM model_versions ORDER BY version").fetchall() == [
            (1, 41), (2, 0)]
