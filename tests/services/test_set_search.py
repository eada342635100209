"""Search and Explore on a multi-label project: the label, prediction and disagreement filters are about
sets, results show sets, a search label is a set, and a bulk label is refused; all on a real project."""

from __future__ import annotations

import json

import pytest

from annotator.services import explore_queue
from annotator.services.projects import create_project
from annotator.services.review import adjudicate
from annotator.services.search import Filters, Search, result_of, search
from annotator.services.set_search import set_point_facts
from annotator.store.label_sets import add_label_set, current_label_sets
from annotator.store.search import point_facts, search_query_of
from annotator.store.versions import publish_version
from tests.helpers.team import add_texts, add_users

LABELS = ["anger", "joy", "fear", "café"]
TEXTS = ["so happy and scared", "furious", "lovely day", "dark night", "nothing here"]


@pytest.fixture
def sets_project(tmp_path):
    with create_project(tmp_path / "sets", LABELS, multi_label=True) as project:
        ids = add_texts(project, TEXTS, tmp_path)
        add_users(project)
        add_label_set(project.db, ids[0], ["joy", "fear"], "ann1")
        add_label_set(project.db, ids[0], ["joy"], "ann2")        # disputed: fear
        add_label_set(project.db, ids[1], ["anger"], "ann1")
        add_label_set(project.db, ids[1], ["anger"], "ann2")      # agreed
        add_label_set(project.db, ids[2], ["joy", "café"], "ann1")
        add_label_set(project.db, ids[3], ["fear"], "ann1")
        add_label_set(project.db, ids[3], ["anger"], "ann2")      # disputed, then settled by the lead
        adjudicate(project, "lead", ids[3], ["fear", "anger"])
        suggested = [["joy", "fear"], ["anger"], ["café"], [], ["joy"]]
        publish_version(project.db, kind="head", strategy="margin",
                        scores=[(e, k, 0.5, json.dumps(s), 0.2 + k / 10) for k, (e, s) in enumerate(zip(ids, suggested))])
        project.ids = ids
        yield project


def _ids(project, **filters) -> list[int]:
    return [r.example_id for r in search(project, Search(filters=Filters(**filters))).results]


def test_a_label_filter_finds_the_texts_whose_sets_hold_it(sets_project):
    ids = sets_project.ids
    assert _ids(sets_project, label="joy") == [ids[0], ids[2]]
    assert _ids(sets_project, label="fear") == [ids[0], ids[3]]  # anyone's set, the lead's adjudication too
    assert _ids(sets_project, label="café") == [ids[2]]
    assert _ids(sets_project, label="joy", labeled=True, annotator="ann2") == [ids[0]]
    words = search(sets_project, Search("words", "happy", filters=Filters(label="fear"))).results
    assert [r.example_id for r in words] == [ids[0]]


def test_a_prediction_filter_finds_the_texts_whose_suggested_set_holds_it(sets_project):
    ids = sets_project.ids
    assert _ids(sets_project, predicted="joy") == [ids[0], ids[4]]
    assert _ids(sets_project, predicted="café") == [ids[2]]  # a JSON-escaped name
    assert _ids(sets_project, predicted="anger", max_confidence=0.35) == [ids[1]]
    assert _ids(sets_project, predicted="fear", label="joy") == [ids[0]]


def test_the_disagreement_filter_is_the_review_pages(sets_project):
    ids = sets_project.ids
    assert _ids(sets_project, disagreement=True) == [ids[0]]  # the settled one left out
    assert _ids(sets_project, disagreement=False) == [ids[1], ids[2], ids[3], ids[4]]


def test_results_show_sets(sets_project):
    ids = sets_project.ids
    first = result_of(sets_project, ids[0])
    assert first.label == "joy" and first.labels == {"ann1": "joy + fear", "ann2": "joy"}
    assert first.disagreement and first.predicted == "joy + fear" and first.final_set == ["joy"]
    assert first.as_json()["label"] == ["joy"] and first.as_json()["predicted"] == ["joy", "fear"]
    settled = result_of(sets_project, ids[3])
    assert settled.label == "anger + fear" and not settled.disagreement and settled.predicted == "none of these"
    assert result_of(sets_project, ids[4]).label is None
    facts = point_facts(sets_project.db, 1, ids)
    assert set_point_facts(sets_project.db, facts, LABELS)[ids[2]] == ("joy + café", "café", pytest.approx(0.4))


def test_a_search_label_is_a_set(sets_project):
    ids = sets_project.ids
    found = {"mode": "words", "query": "nothing"}
    explore_queue.lease_item(sets_project, "ann1", ids[4])
    label_id = explore_queue.save_search_label_set(sets_project, "ann1", ids[4], ["fear", "anger"], found)
    assert {r["example_id"]: r["names"] for r in current_label_sets(sets_project.db)}[ids[4]] == ["anger", "fear"]
    assert search_query_of(sets_project.db, label_id) == found


def test_a_bulk_label_adds_the_label_to_the_leads_own_sets(sets_project):
    ids = sets_project.ids
    found = {"mode": "all"}
    add_label_set(sets_project.db, ids[2], ["joy", "fear"], "lead")  # the lead's own set already
    add_label_set(sets_project.db, ids[1], ["anger"], "lead")
    before = {(r["example_id"], r["annotator"]): r["names"] for r in current_label_sets(sets_project.db)}
    plan = explore_queue.plan_bulk(sets_project, "lead", [ids[1], ids[2], ids[4]], "anger")
    assert (plan.change, plan.new, plan.relabel, plan.unchanged) == ([ids[2], ids[4]], 1, 1, 1)
    assert plan.conflicts == [ids[2]]  # ann1's {joy, café} differs from the lead's new {anger, joy, fear}
    done = explore_queue.bulk_label(sets_project, "lead", [ids[1], ids[2], ids[4]], "anger", found)
    assert done.change == plan.change
    after = {(r["example_id"], r["annotator"]): r["names"] for r in current_label_sets(sets_project.db)}
    assert after[(ids[2], "lead")] == ["anger", "joy", "fear"] and after[(ids[4], "lead")] == ["anger"]
    assert after[(ids[1], "lead")] == ["anger"] and after[(ids[2], "ann1")] == before[(ids[2], "ann1")]
    strategies = sets_project.db.execute(
        "SELECT DISTINCT strategy FROM labels WHERE annotator = 'lead' AND superseded = 0 AND kind = 'annotation' "
        "AND example_id IN (?, ?)", (ids[2], ids[4])).fetchall()
    assert strategies == [("search",)]
    with pytest.raises(Exception, match="not in the label set"):
        explore_queue.bulk_label(sets_project, "lead", [ids[4]], "sadness", found)
