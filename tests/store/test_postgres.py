"""annotator.store.postgres and a PostgreSQL project: the dialect layer's translation, the same schema as
SQLite's, the writer lock and snapshots across connections, COPY, migrations and a lock across hosts."""

from __future__ import annotations

import json
import shutil
import stat
import threading

import psycopg
import pytest

from annotator.errors import ProjectError
from annotator.services.projects import create_project, open_project
from annotator.store import migrations
from annotator.store.connection import WriterLockTimeout, read_snapshot, write_transaction
from annotator.store.postgres import PgDatabase, translate
from annotator.store.project import LockTaken, hold_across_hosts
from tests.helpers.team import add_texts


def test_translate_rewrites_placeholders_outside_literals_only():
    assert translate("SELECT a FROM t WHERE b = ? AND c LIKE '%?' AND d = :name") == (
        "SELECT a FROM t WHERE b = %s AND c ILIKE '%%?' AND d = %(name)s")
    assert translate("SELECT x::text, ':no' FROM t -- what?\nWHERE y = ?") == (
        "SELECT x::text, ':no' FROM t -- what?\nWHERE y = %s")
    assert translate("SELECT s.id FROM scores s INDEXED BY scores_rank WHERE s.v = ?") == (
        "SELECT s.id FROM scores s WHERE s.v = %s")


def test_translate_maps_sqlite_json_functions_with_their_empty_results():
    sql = translate("SELECT json_group_array(json_object('a', f.a, 'b', (f.b))), "
                    "(SELECT json_group_object(o.k, o.v) FROM o)")
    assert sql == ("SELECT COALESCE(CAST(json_agg(json_build_object('a', f.a, 'b', (f.b))) AS text), '[]'), "
                   "(SELECT COALESCE(CAST(json_object_agg(o.k, o.v) AS text), '{}') FROM o)")


@pytest.fixture
def pg(tmp_path, postgres_server):
    with create_project(tmp_path / "pg", ["a", "b"], database_url=postgres_server.url) as project:
        yield project


def _columns_sqlite(db) -> dict[str, list[str]]:
    names = [row[0] for row in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND name <> '_sqlite_migrations'")]
    return {name: [row[1] for row in db.execute(f"PRAGMA table_info({name})")] for name in names}


def _columns_postgres(db) -> dict[str, list[str]]:
    columns: dict[str, list[str]] = {}
    for table, column in db.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = ? "
            "AND table_name <> 'schema_migrations' ORDER BY table_name, ordinal_position", (db.schema,)):
        columns.setdefault(table, []).append(column)
    return columns


def test_a_postgresql_project_has_sqlites_tables_and_no_sqlite_file(pg, tmp_path):
    with create_project(tmp_path / "lite", ["a", "b"]) as lite:
        assert _columns_postgres(pg.db) == _columns_sqlite(lite.db)
    assert sorted(p.name for p in pg.path.iterdir()) == ["database.json"]
    record = json.loads((pg.path / "database.json").read_text())
    assert record["schema"] == pg.db.schema and record["schema"].startswith("lp_pg_")
    assert stat.S_IMODE((pg.path / "database.json").stat().st_mode) == 0o600
    with open_project(pg.path) as again:  # reconnects from the folder
        assert again.db.schema == pg.db.schema and again.location.endswith(f"#schema={pg.db.schema}")
        assert again.db.execute("SELECT name FROM labelset ORDER BY position").fetchall() == [("a",), ("b",)]


def test_two_projects_share_a_database_in_their_own_schemas(pg, tmp_path, postgres_server):
    with create_project(tmp_path / "other", ["x"], database_url=postgres_server.url) as other:
        assert other.db.schema != pg.db.schema
        assert other.db.execute("SELECT name FROM labelset").fetchall() == [("x",)]
    with pytest.raises(ProjectError, match="already a Labelloop project"):
        create_project(pg.path, ["a"], database_url=postgres_server.url)


def test_a_bad_url_is_one_line_and_leaves_no_project(tmp_path, postgres_server):
    with pytest.raises(ProjectError, match="--database must be a postgresql:// URL"):
        create_project(tmp_path / "p", ["a"], database_url="mysql://x/y")
    bad = postgres_server.url.replace("labelloop_test", "no_such_database")
    with pytest.raises(ProjectError, match="PostgreSQL at .*no_such_database") as error:
        create_project(tmp_path / "q", ["a"], database_url=bad)
    assert "\n" not in str(error.value)
    assert not (tmp_path / "q" / "database.json").exists()


def test_lastrowid_rowcount_and_a_failed_write_rolls_back(pg, tmp_path):
    [example] = add_texts(pg, ["hello"], tmp_path)
    with write_transaction(pg.db) as conn:
        first = conn.execute("INSERT INTO labels(example_id, label, annotator, created_at) VALUES (?, 'a', 'u', 1)",
                             (example,)).lastrowid
        second = conn.execute("INSERT INTO labels(example_id, label, annotator, created_at, superseded) "
                              "VALUES (?, 'b', 'u', 2, 1)", (example,)).lastrowid
    assert second == first + 1
    with pytest.raises(psycopg.errors.ForeignKeyViolation), write_transaction(pg.db) as conn:
        assert conn.execute("UPDATE labels SET superseded = 1 WHERE example_id = ?", (example,)).rowcount == 2
        conn.execute("INSERT INTO labels(example_id, label, annotator, created_at) VALUES (?, 'nope', 'u', 3)",
                     (example,))  # no such label: the foreign key fails, the UPDATE goes too
    assert pg.db.execute("SELECT COUNT(*) FROM labels WHERE superseded = 0").fetchone()[0] == 1
    assert not pg.db.in_transaction


def test_copied_examples_move_the_id_sequence_past_them(pg, tmp_path):
    ids = add_texts(pg, ["one", "two", "three"], tmp_path)
    with write_transaction(pg.db) as conn:
        new = conn.execute("INSERT INTO examples(text, text_hash, created_at) VALUES ('four', 'h4', 0)").lastrowid
    assert new == max(ids) + 1


def test_a_writer_waits_for_another_connections_transaction_then_times_out(pg):
    other = PgDatabase(pg.db.url, pg.db.schema, busy_timeout=0.3)
    try:
        with write_transaction(pg.db) as conn:
            conn.execute("INSERT INTO settings(key, value) VALUES ('seed', '1')")
            with pytest.raises(WriterLockTimeout, match="nothing was written"):
                with write_transaction(other) as theirs:
                    theirs.execute("INSERT INTO settings(key, value) VALUES ('x', '2')")
        assert not other.in_transaction
        done = threading.Event()

        def later_writer():
            with write_transaction(other) as theirs:
                theirs.execute("UPDATE settings SET value = '3' WHERE key = 'seed'")
            done.set()

        with write_transaction(pg.db) as conn:
            worker = threading.Thread(target=later_writer)
            worker.start()
            assert not done.wait(0.1)  # blocked behind this transaction
            conn.execute("UPDATE settings SET value = '2' WHERE key = 'seed'")
        worker.join(10)
        assert done.is_set()
        assert pg.db.execute("SELECT key, value FROM settings").fetchall() == [("seed", "3")]
    finally:
        other.close()


def test_a_read_snapshot_sees_one_moment(pg, tmp_path):
    add_texts(pg, ["one"], tmp_path)
    with read_snapshot(pg.db) as conn:
        before = conn.execute("SELECT COUNT(*) FROM examples").fetchone()[0]
        other = PgDatabase(pg.db.url, pg.db.schema)
        try:
            with write_transaction(other) as theirs:
                theirs.execute("INSERT INTO examples(text, text_hash, created_at) VALUES ('x', 'hx', 0)")
        finally:
            other.close()
        assert conn.execute("SELECT COUNT(*) FROM examples").fetchone()[0] == before
    assert pg.db.execute("SELECT COUNT(*) FROM examples").fetchone()[0] == before + 1


def test_migrations_are_recorded_and_an_older_schema_catches_up(pg, postgres_server):
    names = [row[0] for row in pg.db.execute("SELECT name FROM schema_migrations ORDER BY id")]
    assert names == [name for name, _ in migrations.ORDERED]
    old = PgDatabase(postgres_server.url, "lp_older", create_schema=True)
    try:
        migrations.apply_postgres(old, stop_before="m010_version_watermark")
        old.execute("INSERT INTO model_versions(version, kind, metrics, created_at, published_at) "
                    "VALUES (1, 'head', '{\"max_label_id\": 41}', 0, 0), (2, 'coldstart', '{}', 0, 0)")
        migrations.apply(old)
        assert old.execute("SELECT version, watermark FROM model_versions ORDER BY version").fetchall() == [
            (1, 41), (2, 0)]
        assert old.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0] == len(migrations.ORDERED)
    finally:
        old.close()


def test_a_lock_across_hosts_is_held_once_per_project(pg, tmp_path):
    elsewhere = tmp_path / "other-host"  # the same project opened from another machine's folder
    elsewhere.mkdir()
    shutil.copy(pg.path / "database.json", elsewhere / "database.json")
    with hold_across_hosts(pg.path, "worker"):
        with pytest.raises(LockTaken, match="held by labelloop worker"):
            with hold_across_hosts(elsewhere, "worker"):
                pass
        with hold_across_hosts(elsewhere, "another purpose"):
            pass
    with hold_across_hosts(elsewhere, "worker"):  # given back with its connection
        pass
