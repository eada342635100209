"""annotator.store.connection: the project's database files are private to their owner."""

from __future__ import annotations


def test_project_files_are_private(tmp_path):
    import stat

    from annotator.services.projects import create_project

    with create_project(tmp_path / "private", ["a", "b"]) as project:
        project.db.execute("INSERT INTO settings(key, value) VALUES ('seed', '1')")  # -wal and -shm exist now
        names = ["project.db", "project.db-wal", "project.db-shm", "project.db-writer"]
        modes = {name: stat.S_IMODE((project.path / name).stat().st_mode) for name in names}
    assert modes == dict.fromkeys(names, 0o600)
