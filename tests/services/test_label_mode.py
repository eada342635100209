"""A project's label mode: fixed at creation, shown by stats; saving a set of labels through the queue."""

from __future__ import annotations

import pytest

from annotator.errors import InputError
from annotator.services.label_mode import is_multi_label, mode_name, set_label_mode
from annotator.services.projects import create_project, open_project
from annotator.services.queue import next_item, save_label, save_label_set
from annotator.services.settings import set_settings
from annotator.services.stats import project_stats
from annotator.store.label_sets import current_label_sets
from annotator.store.labels import label_history
from tests.helpers.team import add_texts


@pytest.fixture
def multi(tmp_path):
    with create_project(tmp_path / "m", ["joy", "anger", "fear"], multi_label=True) as project:
        project.ids = add_texts(project, ["one", "two", "three"], tmp_path)
        yield project


def test_the_mode_is_fixed_at_creation(tmp_path, multi):
    assert is_multi_label(multi.db) and mode_name(multi.db) == "multi-label"
    set_label_mode(multi.db, False)  # a second write never changes it
    with open_project(multi.path) as again:
        assert is_multi_label(again.db)
    with create_project(tmp_path / "s", ["a", "b"]) as single:
        assert not is_multi_label(single.db) and project_stats(single, sections=[])["label_mode"] == "single-label"


def test_a_new_multi_label_project_ranks_by_the_measured_multi_label_default(multi, tmp_path):
    from annotator.config import MULTI_LABEL_STRATEGY, defaults
    from annotator.services.settings import get_settings

    assert get_settings(multi.db).strategy == MULTI_LABEL_STRATEGY == "least_confidence"
    with create_project(tmp_path / "single", ["a", "b"]) as single:
        assert get_settings(single.db).strategy == defaults()["strategy"] == "margin_kmeans"
    set_settings(multi.db, strategy="entropy")  # a lead's choice stays
    with open_project(multi.path) as again:
        assert get_settings(again.db).strategy == "entropy"


def test_a_set_saved_from_the_queue_keeps_provenance_and_counts_per_label(multi):
    item = next_item(multi, "ann")
    save_label_set(multi, "ann", item.example_id, ["fear", "joy"], seconds=3.0, suggestion=["joy"])
    [row] = label_history(multi.db, item.example_id)
    assert row["late"] == 0 and row["strategy"] == item.strategy and row["suggestion"] == '["joy"]'
    assert current_label_sets(multi.db)[0]["names"] == ["joy", "fear"]
    stats = project_stats(multi, sections=[])
    assert stats["label_mode"] == "multi-label" and stats["labeled"] == 1
    assert stats["per_label"] == {"joy": 1, "anger": 0, "fear": 1}


def test_an_empty_set_needs_the_leads_none_of_these(multi):
    item = next_item(multi, "ann")
    with pytest.raises(InputError, match="at least one label"):
        save_label_set(multi, "ann", item.example_id, [])
    assert label_history(multi.db, item.example_id) == []
    set_settings(multi.db, none_of_these=True)
    save_label_set(multi, "ann", item.example_id, [])
    assert current_label_sets(multi.db)[0]["names"] == []


def test_each_kind_of_project_refuses_the_others_save(tmp_path, multi):
    with pytest.raises(InputError, match="multi-label project"):
        save_label(multi, "ann", multi.ids[0], "joy")
    with create_project(tmp_path / "s", ["a", "b"]) as single:
        ids = add_texts(single, ["x"], tmp_path)
        with pytest.raises(InputError, match="single-label project"):
            save_label_set(single, "ann", ids[0], ["a"])

