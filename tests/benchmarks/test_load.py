"""Load benchmark smoke test: quick mode runs, writes complete JSON, loses nothing."""

from __future__ import annotations

import json

from annotator.cli import main
from benchmarks.load import find_double_leases

LOAD_KEYS = {
    "annotators", "labels_each", "pool", "labels_saved", "labels_expected", "wall_s", "labels_per_s",
    "next_ms", "save_ms", "p50_next_ms", "p95_next_ms", "p99_next_ms", "p50_save_ms", "p95_save_ms",
    "p99_save_ms", "lost", "double_leased", "db_multi_labeled", "leases_left", "errors", "machine",
    "republishes", "republish_failures", "failed_next", "failed_save",
}


def test_find_double_leases_reports_only_overlaps_of_different_annotators():
    records = [
        {"example_id": 1, "annotator": "a", "held": [0.0, 1.0]},
        {"example_id": 1, "annotator": "b", "held": [0.5, 2.0]},  # overlaps a
        {"example_id": 2, "annotator": "a", "held": [0.0, 1.0]},
        {"example_id": 2, "annotator": "b", "held": [1.0, 2.0]},  # starts when a's ends: fine
        {"example_id": 3, "annotator": "a", "held": [0.0, 1.0]},
        {"example_id": 3, "annotator": "a", "held": [0.2, 0.4]},  # same annotator (a reload)
    ]
    clashes = find_double_leases(records)
    assert [c["example_id"] for c in clashes] == [1]
    assert sorted(clashes[0]["annotators"]) == ["a", "b"]


def test_cli_bench_load_quick_writes_complete_results(tmp_path, capsys):
    out, png = tmp_path / "load.json", tmp_path / "load.png"
    code = main(["bench", "load", "--quick", "--republish-every", "0.2", "--json", str(out),
                 "--plot", str(png), "--workdir", str(tmp_path)])
    assert code == 0
    result = json.loads(out.read_text())
    assert LOAD_KEYS <= set(result)
    assert result["annotators"] == 4 and result["labels_each"] == 25
    assert result["labels_saved"] == result["labels_expected"] == 100
    assert result["lost"] == 0
    assert result["double_leased"] == 0
    assert result["db_multi_labeled"] == 0
    assert result["leases_left"] == 0
    assert result["errors"] == [] and result["crashed_processes"] == []
    assert result["db_label_rows"] == 100
    for key in ("p50_next_ms", "p95_next_ms", "p99_next_ms", "p50_save_ms", "p95_save_ms", "p99_save_ms"):
        assert result[key] >= 0
    assert result["p50_next_ms"] <= result["p95_next_ms"] <= result["p99_next_ms"]
    assert png.stat().st_size > 1000
    assert '"lost": 0' in capsys.readouterr().out
    assert not list(tmp_path.glob("labelloop-load-*")), "the temporary project is removed"


def test_cli_bench_load_refuses_a_pool_too_small(tmp_path, capsys):
    code = main(["bench", "load", "--annotators", "4", "--labels-each", "10", "--pool", "20",
                 "--workdir", str(tmp_path)])
    assert code == 1
    assert "need a pool of at least 40" in capsys.readouterr().err


def _load_schemas(url: str) -> set[str]:
    import psycopg

    with psycopg.connect(url) as conn:
        return {row[0] for row in conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'lp_project_%'")}


def test_cli_bench_load_quick_on_postgresql_loses_nothing_and_drops_its_schema(tmp_path, postgres_server, capsys):
    """Two app processes (the annotators as their threads) and a worker stand-in republishing the
    ranking, on one PostgreSQL database (each annotator thinks 20 ms: the run outlasts a republish)."""
    before = _load_schemas(postgres_server.url)
    out = tmp_path / "load_pg.json"
    code = main(["bench", "load", "--quick", "--database", postgres_server.url, "--app-processes", "2",
                 "--republish-every", "0.2", "--think-ms", "20", "--json", str(out), "--workdir", str(tmp_path)])
    assert code == 0
    result = json.loads(out.read_text())
    assert result["backend"] == "postgresql" and result["app_processes"] == 2
    assert result["republishes"] >= 1 and result["republish_failures"] == []
    assert result["labels_saved"] == result["labels_expected"] == result["db_label_rows"] == 100
    assert result["lost"] == 0
    assert result["double_leased"] == 0
    assert result["db_multi_labeled"] == 0 and result["leases_left"] == 0
    assert result["errors"] == [] and result["crashed_processes"] == []
    assert '"backend": "postgresql"' in capsys.readouterr().out
    assert _load_schemas(postgres_server.url) == before, "the run's schema is dropped"
    assert not list(tmp_path.glob("labelloop-load-*"))


def test_cli_bench_load_refuses_a_database_that_is_not_postgresql(tmp_path, capsys):
    code = main(["bench", "load", "--quick", "--database", str(tmp_path / "x.db"), "--workdir", str(tmp_path)])
    assert code == 1
    err = capsys.readouterr().err
    assert "--database must be a postgresql:// URL" in err and len(err.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())


def test_cli_bench_load_refuses_more_app_processes_than_annotators(tmp_path, capsys):
    code = main(["bench", "load", "--quick", "--app-processes", "5", "--workdir", str(tmp_path)])
    assert code == 1
    err = capsys.readouterr().err
    assert "--app-processes must be between 0 and the number of annotators (4)" in err
    assert len(err.strip().splitlines()) == 1 and not list(tmp_path.iterdir())
