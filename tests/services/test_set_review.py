"""Reviewing a multi-label project: disagreements per label, a lead's adjudicated set (what exports
give), late sets; every check on a real project file."""

from __future__ import annotations

import json

import pytest

from annotator.errors import AuthError, InputError
from annotator.services.dashboard import load_dashboard
from annotator.services.exports import export, final_labels
from annotator.services.projects import create_project
from annotator.services.review import adjudicate, disagreement_queue, late_queue
from annotator.services.set_review import disputed_labels
from annotator.services.settings import set_settings
from annotator.store.label_sets import add_label_set
from annotator.store.labels import label_history
from tests.helpers.team import add_texts, add_users

LABELS = ["anger", "joy", "fear", "love"]


@pytest.fixture
def sets_project(tmp_path):
    with create_project(tmp_path / "sets", LABELS, multi_label=True) as project:
        ids = add_texts(project, ["one", "two", "three", "four"], tmp_path)
        add_users(project)
        add_label_set(project.db, ids[0], ["joy", "love"], "ann1", now=1.0)
        add_label_set(project.db, ids[0], ["joy"], "ann2", now=2.0)
        add_label_set(project.db, ids[0], ["joy", "fear"], "ann3", now=3.0)
        add_label_set(project.db, ids[1], ["anger"], "ann1", now=1.0)
        add_label_set(project.db, ids[1], ["anger"], "ann2", now=1.5)  # agreed
        add_label_set(project.db, ids[2], ["fear"], "ann1", now=0.5)
        add_label_set(project.db, ids[2], ["anger", "fear"], "ann2", now=0.7)
        add_label_set(project.db, ids[3], ["love"], "ann1", now=0.1)  # one annotator: nothing to dispute
        project.ids = ids
        yield project


def test_disputed_labels_are_those_in_some_sets_but_not_all():
    assert disputed_labels([["joy", "love"], ["joy"], ["fear", "joy"]], LABELS) == (["fear", "love"], ["joy"])
    assert disputed_labels([["anger"], []], LABELS) == (["anger"], [])


def test_disagreements_are_listed_per_label(sets_project):
    ids = sets_project.ids
    queue = disagreement_queue(sets_project)
    assert list(queue["example_id"]) == [ids[2], ids[0]]  # oldest last change first; agreed and single left out
    first = queue.set_index("example_id").loc[ids[0]]
    assert first["votes"] == {"ann1": ["joy", "love"], "ann2": ["joy"], "ann3": ["joy", "fear"]}
    assert first["disputed"] == ["fear", "love"] and first["agreed"] == ["joy"]
    assert first["adjudicated"] is None and first["text"] == "one"
    assert load_dashboard(sets_project).disagreements == 2


def test_the_adjudicated_set_settles_the_text_and_is_what_exports_give(sets_project, tmp_path):
    ids = sets_project.ids
    row_id = adjudicate(sets_project, "lead", ids[0], ["love", "joy"])
    assert [row["example_id"] for row in disagreement_queue(sets_project).to_dict("records")] == [ids[2]]
    settled = disagreement_queue(sets_project, include_adjudicated=True).set_index("example_id")
    assert settled.loc[ids[0], "adjudicated"] == ["joy", "love"]
    assert label_history(sets_project.db, ids[0])[-1]["id"] == row_id
    final = {row["example_id"]: row for row in final_labels(sets_project)}
    assert final[ids[0]]["labels"] == ["joy", "love"] and final[ids[0]]["adjudicated_by"] == "lead"
    out = tmp_path / "final.jsonl"
    export(sets_project, out, "jsonl")
    exported = {row["text"]: row for row in map(json.loads, out.read_text().splitlines())}
    assert exported["one"]["labels"] == ["joy", "love"]
    # the lead changes their mind: the newest adjudication wins, the old one stays in the history
    adjudicate(sets_project, "lead", ids[0], ["fear"])
    assert {row["example_id"]: row["labels"] for row in final_labels(sets_project)}[ids[0]] == ["fear"]
    assert [row["kind"] for row in label_history(sets_project.db, ids[0])].count("adjudication") == 2


def test_bad_adjudications_change_nothing(sets_project):
    ids = sets_project.ids
    before = sets_project.db.execute("SELECT COUNT(*) FROM labels").fetchone()[0]
    with pytest.raises(AuthError):
        adjudicate(sets_project, "ann1", ids[0], ["joy"])
    with pytest.raises(InputError, match="multi-label project"):
        adjudicate(sets_project, "lead", ids[0], "joy")
    with pytest.raises(InputError, match="at least one label"):
        adjudicate(sets_project, "lead", ids[0], [])
    with pytest.raises(Exception, match="not in the label set"):
        adjudicate(sets_project, "lead", ids[0], ["joy", "sadness"])
    assert sets_project.db.execute("SELECT COUNT(*) FROM labels").fetchone()[0] == before
    set_settings(sets_project.db, none_of_these=True)
    adjudicate(sets_project, "lead", ids[0], [])
    assert {row["example_id"]: row["labels"] for row in final_labels(sets_project)}[ids[0]] == []


def test_late_sets_show_every_set_of_the_text(sets_project):
    ids = sets_project.ids
    add_label_set(sets_project.db, ids[3], ["anger", "joy"], "ann2", late=True, now=5.0)
    (row,) = late_queue(sets_project)
    assert row["example_id"] == ids[3] and row["annotator"] == "ann2"
    assert row["labels"] == ["anger", "joy"] and row["others"] == {"ann1": ["love"]}
    adjudicate(sets_project, "lead", ids[3], ["joy"])
    assert late_queue(sets_project) == []


def _set_clusters(seed: int = 0):
    """Three blobs in 8 dimensions: the first holds {anger}, the second {joy}, the third {joy, love}."""
    import numpy as np

    rng = np.random.default_rng(seed)
    sets = [["anger"], ["joy"], ["joy", "love"]]
    X = np.vstack([np.eye(8)[k] * 6.0 + rng.normal(scale=0.5, size=(12, 8)) for k in range(3)]).astype(np.float32)
    return X, [list(sets[k]) for k in range(3) for _ in range(12)]


def test_a_planted_wrong_set_is_flagged_on_the_labels_it_gets_wrong():
    from annotator.services.set_review import find_suspected_set_errors

    X, sets = _set_clusters()
    sets[3] = ["joy"]            # an {anger} text labeled joy
    sets[30] = ["joy"]           # a {joy, love} text missing love
    found = find_suspected_set_errors(X, sets, LABELS, folds=4, threshold=0.7)
    rows = found.set_index("index")
    assert set(rows.index) == {3, 30}
    assert set(rows.loc[3, "contradicted"]) == {"anger", "joy"} and rows.loc[3, "predicted"] == ["anger"]
    assert rows.loc[30, "contradicted"] == ["love"] and rows.loc[30, "labels"] == ["joy"]
    assert list(found["confidence"]) == sorted(found["confidence"], reverse=True) and found["confidence"].min() >= 0.7
    assert find_suspected_set_errors(X, _set_clusters()[1], LABELS, folds=4, threshold=0.7).empty


def test_suspected_errors_of_a_project_leave_adjudicated_texts_out(tmp_path):
    from annotator.services.review import suspected_errors
    from annotator.services.training.embeddings import save_embeddings

    X, sets = _set_clusters()
    sets[3] = ["joy"]
    with create_project(tmp_path / "cv", LABELS, multi_label=True) as project:
        ids = add_texts(project, [f"text {i}" for i in range(len(sets))], tmp_path)
        add_users(project)
        for example_id, names in zip(ids, sets):
            add_label_set(project.db, example_id, names, "ann1")
        save_embeddings(project.path, 0, ids, X)
        found = suspected_errors(project, folds=4, threshold=0.7)
        assert list(found["example_id"]) == [ids[3]]
        assert found.loc[0, "label"] == "joy" and found.loc[0, "predicted"] == "anger"
        assert set(found.loc[0, "contradicted"]) == {"anger", "joy"}
        adjudicate(project, "lead", ids[3], ["joy"])  # the lead keeps it
        assert suspected_errors(project, folds=4, threshold=0.7).empty
