"""The issue's done-when check on a small pool, through the command line: init --database, import, export
to Parquet, score, stats on a PostgreSQL server the tests start; no SQLite file in the folder."""

from __future__ import annotations

import json

import pyarrow.parquet as pq

from annotator.services.projects import open_project
from annotator.services.settings import set_settings
from tests.helpers.cli import run
from tests.helpers.files import write_jsonl
from tests.helpers.pool import gold_rows


def test_init_import_export_score_stats_on_postgresql(tmp_path, capsys, postgres_server, tiny_model_dir):
    folder = str(tmp_path / "P")
    code, out, _ = run(["init", folder, "--labels", "pos,neg,neutral", "--database", postgres_server.url], capsys)
    assert code == 0 and "tables in PostgreSQL schema lp_p_" in out
    rows = gold_rows(40)
    data = write_jsonl(tmp_path / "d.jsonl", rows + rows[:3])  # three repeated texts
    code, out, _ = run(["import", str(data), "--project", folder, "--label-column", "label"], capsys)
    assert code == 0 and "added 40 examples" in out and "skipped 3 duplicates within the file" in out
    code, out, _ = run(["export", "--project", folder, "--format", "parquet", "--out", str(tmp_path / "x.pq")], capsys)
    assert code == 0 and pq.read_table(tmp_path / "x.pq").num_rows == 40
    with open_project(folder) as project:
        set_settings(project.db, model=str(tiny_model_dir), max_length=32)
    code, out, _ = run(["score", "--project", folder, "--engine", "local", "--json"], capsys)
    assert code == 0 and json.loads(out)["texts"] == 40
    code, out, _ = run(["stats", "--project", folder, "--json"], capsys)
    stats = json.loads(out)
    assert stats["pool"] == 40 and stats["model"]["scored"] == 40
    assert not list((tmp_path / "P").glob("*.db*"))


def test_init_takes_the_database_from_the_environment(tmp_path, capsys, monkeypatch, postgres_server):
    monkeypatch.setenv("LABELLOOP_DATABASE_URL", postgres_server.url)
    code, out, _ = run(["init", str(tmp_path / "E"), "--labels", "a,b"], capsys)
    assert code == 0 and "PostgreSQL schema" in out
    assert (tmp_path / "E" / "database.json").is_file() and not (tmp_path / "E" / "project.db").exists()


def test_init_with_an_unreachable_server_is_one_line(tmp_path, capsys):
    code, _, err = run(["init", str(tmp_path / "U"), "--labels", "a,b", "--database",
                        f"postgresql://nobody@/db?host={tmp_path}&connect_timeout=2"], capsys)
    assert code == 1 and err.count("\n") == 1 and "PostgreSQL at postgresql://nobody@" in err
    assert not (tmp_path / "U" / "database.json").exists()
