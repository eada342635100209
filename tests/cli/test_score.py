"""labelloop score (local engine): re-embeds the pool, publishes every row, says how fast; an empty project
is refused on one line with nothing written."""

from __future__ import annotations

import pytest

from annotator.cli import main
from annotator.services.settings import set_settings
from annotator.store import jobs as job_store
from annotator.store.versions import current_version, version_scores
from tests.helpers.pool import add_pool, gold_rows, label_some

pytestmark = pytest.mark.both_backends  # the pool read in windows from the project's database, either backend


def test_score_publishes_the_whole_pool(project, tmp_path, tiny_model_dir, capsys):
    rows = gold_rows(30)
    add_pool(project, tmp_path, rows)
    set_settings(project.db, model=str(tiny_model_dir), max_length=32)
    label_some(project, rows, 6)  # two labels at least: a head ranks the pool
    code, out = main(["score", "--project", str(project.path)]), capsys.readouterr().out
    assert code == 0
    version = current_version(project.db)
    assert out.startswith(f"published v{version['version']} (head): 30 texts embedded by encoder v0 on the local")
    assert "texts/s" in out
    assert len(version_scores(project.db, version["version"])) == 30
    assert job_store.latest_job(project.db)["kind"] == "score"


def test_score_of_an_empty_project_is_refused(project, capsys):
    assert main(["score", "--project", str(project.path)]) == 1
    err = capsys.readouterr().err
    assert err == "labelloop: error: the project has no texts to score: import some first\n"
    assert current_version(project.db) is None and job_store.latest_job(project.db) is None
