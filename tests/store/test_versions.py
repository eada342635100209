"""publish_version on PostgreSQL leaves the planner knowing the new version's and the pool's sizes (ANALYZE), so the
queue's best-ranked pick walks the rank index instead of sorting the whole version."""

from __future__ import annotations

import json

import pytest

from annotator.services.projects import create_project
from annotator.store.versions import publish_version
from tests.helpers.team import add_texts


def _estimated_rows(db, query: str) -> float:
    plan = db.raw.execute(f"EXPLAIN (FORMAT JSON) {query}").fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return plan[0]["Plan"]["Plan Rows"]


@pytest.mark.parametrize("stage_chunk", [None, 500])
def test_a_published_versions_scores_are_analyzed_on_postgresql(tmp_path, postgres_server, stage_chunk):
    with create_project(tmp_path / "proj", ["a", "b"], database_url=postgres_server.url) as project:
        ids = add_texts(project, [f"text {i}" for i in range(2000)], tmp_path)
        for _ in (1, 2):  # the second version is new to the statistics gathered on the first
            rows = [(example_id, rank, 1.0 - rank / 2000, "a", 0.5) for rank, example_id in enumerate(ids)]
            version = publish_version(project.db, kind="head", strategy="random", scores=rows,
                                      stage_chunk=stage_chunk)
            assert _estimated_rows(project.db, f"SELECT * FROM scores WHERE version = {version}") > 1000
            assert _estimated_rows(project.db, "SELECT * FROM examples WHERE is_eval = 0") > 1000
