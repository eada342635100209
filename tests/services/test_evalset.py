"""annotator.services.evalset: reserving an evaluation sample from the unlabeled pool."""

from __future__ import annotations

import pytest

from annotator.errors import InputError
from annotator.services.evalset import reserve_eval_set
from annotator.store import reporting as queries
from annotator.store.examples import get_example
from tests.helpers.team import VOTES, add_texts


def test_reserve_eval_set_is_seeded_and_skips_labeled_items(team_project, tmp_path):
    chosen = reserve_eval_set(team_project, 5, seed=3)
    assert len(chosen) == 5
    labeled = {team_project.ids[i] for i in VOTES}
    assert not set(chosen) & labeled
    assert all(get_example(team_project.db, i)["is_eval"] for i in chosen)
    assert queries.pool_counts(team_project.db)["eval"] == 5
    assert queries.pool_counts(team_project.db)["unlabeled"] == 20 - 7 - 5


def test_reserve_eval_set_same_seed_same_items(tmp_path):
    from annotator.services.projects import create_project

    picks = []
    for name in ("a", "b"):
        with create_project(tmp_path / name, ["x", "y"]) as fresh:
            add_texts(fresh, [f"item {i}" for i in range(30)], tmp_path / name)
            picks.append([get_example(fresh.db, i)["text"] for i in reserve_eval_set(fresh, 6, seed=7)])
    assert picks[0] == picks[1]


def test_reserve_eval_set_rejects_bad_sizes(team_project):
    for bad in (0, -1, 2.5, "3"):
        with pytest.raises(InputError):
            reserve_eval_set(team_project, bad)
    with pytest.raises(InputError, match="only 13 unlabeled"):
        reserve_eval_set(team_project, 14)
    assert queries.pool_counts(team_project.db)["eval"] == 0
