"""Labeling what a search found: a chosen text's lease, its label's provenance, and a lead's bulk label
that never overrides anyone else's label."""

from __future__ import annotations

import pytest

from annotator.errors import AuthError, InputError, LabelSetError
from annotator.services import explore_queue as eq
from annotator.services.review import disagreement_queue
from annotator.services.settings import set_settings
from annotator.store.labels import current_labels
from annotator.store.search import search_query_of
from annotator.store.versions import publish_version
from tests.helpers.files import snapshot
from tests.helpers.team import add_texts

FOUND = {"mode": "words", "query": "text number"}


def test_a_chosen_text_is_leased_and_labeled_with_the_search(team_project):
    ids = team_project.ids
    publish_version(team_project.db, kind="head", strategy="margin",
                    scores=[(e, k, 0.3, "pos", 0.7) for k, e in enumerate(ids)])
    item = eq.lease_item(team_project, "ann1", ids[12])
    assert item.example_id == ids[12] and item.text == "text number 12"
    assert item.strategy == "search" and item.model_version == 1 and item.predicted == "pos"
    # another annotator cannot take it while the lease is live
    with pytest.raises(InputError, match="being labeled by someone else"):
        eq.lease_item(team_project, "ann2", ids[12])
    label_id = eq.save_search_label(team_project, "ann1", ids[12], "neg", FOUND, seconds=2.5)
    (row,) = current_labels(team_project.db, ids[12])
    assert row["id"] == label_id and row["strategy"] == "search" and row["model_version"] == 1
    assert row["score"] == 0.3 and not row["late"] and row["seconds"] == 2.5
    assert search_query_of(team_project.db, label_id) == FOUND
    # the queue's rules for opening a named text hold: labeled enough now, so not leased again to another
    with pytest.raises(InputError, match="already labeled"):
        eq.lease_item(team_project, "ann2", ids[12])
    assert eq.lease_item(team_project, "ann1", ids[12]).example_id == ids[12]  # its annotator may change it
    with pytest.raises(InputError, match="no text with id"):
        eq.lease_item(team_project, "ann1", 10**6)


def test_a_save_without_a_lease_is_late_and_still_a_search_label(team_project):
    label_id = eq.save_search_label(team_project, "ann3", team_project.ids[15], "pos", FOUND)
    (row,) = current_labels(team_project.db, team_project.ids[15])
    assert row["id"] == label_id and row["late"] and row["strategy"] == "search"


def test_bulk_labels_are_the_leads_own_and_conflicts_go_to_review(team_project):
    ids = team_project.ids
    # ids[1] has ann1=pos, ann2=neg already (a disagreement); ids[0] all pos; ids[4] ann1=neg
    before = len(disagreement_queue(team_project))
    selection = [ids[0], ids[4], ids[10], ids[11]]
    plan = eq.plan_bulk(team_project, "lead", selection, "pos")
    assert (plan.new, plan.relabel, plan.unchanged) == (4, 0, 0)
    assert plan.conflicts == [ids[4]] and plan.change == selection
    done = eq.bulk_label(team_project, "lead", selection, "pos", FOUND)
    assert done == plan
    # nobody else's label changed: ann1's neg on ids[4] stands, beside the lead's pos
    labels = {row["annotator"]: row["label"] for row in current_labels(team_project.db, ids[4])}
    assert labels == {"ann1": "neg", "lead": "pos"}
    queue_after = disagreement_queue(team_project)
    assert ids[4] in set(queue_after["example_id"]) and len(queue_after) == before + 1
    for example_id in selection:
        (mine,) = [r for r in current_labels(team_project.db, example_id) if r["annotator"] == "lead"]
        assert mine["strategy"] == "search" and mine["kind"] == "annotation"
        assert search_query_of(team_project.db, mine["id"]) == FOUND
    # again: nothing changes
    again = eq.plan_bulk(team_project, "lead", selection, "pos")
    assert again.change == [] and again.unchanged == 4
    relabel = eq.plan_bulk(team_project, "lead", selection, "neg")
    assert relabel.relabel == 4 and relabel.new == 0


def test_only_a_lead_can_bulk_label_and_bad_input_changes_nothing(team_project):
    before = snapshot(team_project)
    with pytest.raises(AuthError, match="only a lead"):
        eq.bulk_label(team_project, "ann1", [team_project.ids[10]], "pos", FOUND)
    with pytest.raises(AuthError):
        eq.plan_bulk(team_project, "nobody", [team_project.ids[10]], "pos")
    with pytest.raises(LabelSetError):
        eq.bulk_label(team_project, "lead", [team_project.ids[10]], "nope", FOUND)
    with pytest.raises(InputError, match="nothing selected"):
        eq.bulk_label(team_project, "lead", [], "pos", FOUND)
    with pytest.raises(InputError, match="at most"):
        eq.bulk_label(team_project, "lead", list(range(1, eq.MAX_BULK + 2)), "pos", FOUND)
    assert snapshot(team_project) == before


def test_bulk_skips_missing_and_overlong_texts(team_project, tmp_path):
    (long_text,) = add_texts(team_project, ["x" * 101], tmp_path)
    set_settings(team_project.db, max_text_chars=100)
    plan = eq.bulk_label(team_project, "lead", [long_text, 10**6, team_project.ids[10]], "pos", FOUND)
    assert plan.too_long == [long_text] and plan.missing == [10**6] and plan.change == [team_project.ids[10]]
    assert current_labels(team_project.db, long_text) == []
