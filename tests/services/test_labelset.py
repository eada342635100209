"""annotator.services.labelset: rename keeps meaning, merge moves labels and keeps what was given, delete
refuses while labels use a label; each change one transaction and recorded; case twins refused."""

from __future__ import annotations

import numpy as np
import pytest

from annotator.errors import LabelSetError
from annotator.services.exports import final_labels, raw_labels
from annotator.services.labelset import (
    add_labels,
    closest_label,
    delete_label,
    get_labels,
    label_changes,
    merge_labels,
    rename_label,
)
from annotator.store.labels import add_label
from annotator.store.trainset import training_labels
from annotator.store.versions import StoredHead, publish_version, version_head


@pytest.fixture
def labeled(pool_project):
    """Six texts: two pos, two neg (one relabeled from pos), two neutral; a version predicting pos for all."""
    ids = [row[0] for row in pool_project.db.execute("SELECT id FROM examples ORDER BY id LIMIT 6")]
    for example_id, label in zip(ids, ["pos", "pos", "neg", "pos", "neutral", "neutral"]):
        add_label(pool_project.db, example_id, label, "ann", suggestion="pos")
    add_label(pool_project.db, ids[3], "neg", "ann")  # supersedes its pos: history holds both
    head = StoredHead(0, ["pos", "neg", "neutral"], np.zeros((3, 2)), np.zeros(3))
    publish_version(pool_project.db, kind="head", strategy="margin", head=head,
                    scores=[(e, r, 0.5, "pos", 0.6) for r, e in enumerate(ids)])
    pool_project.ids = ids
    return pool_project


def _labels_of(project) -> list[tuple]:
    return project.db.execute(
        "SELECT example_id, label, original_label, superseded FROM labels ORDER BY id").fetchall()


def test_rename_keeps_every_stored_label_and_the_model_in_step(labeled):
    before = _labels_of(labeled)
    assert rename_label(labeled.db, "pos", "positive", actor="lead") == 3
    assert get_labels(labeled.db) == ["positive", "neg", "neutral"]  # in its place
    after = _labels_of(labeled)
    assert [(e, "positive" if label == "pos" else label, o, s) for e, label, o, s in before] == after
    assert {row[0] for row in labeled.db.execute("SELECT DISTINCT suggestion FROM labels")} == {"positive", None}
    assert {row[0] for row in labeled.db.execute("SELECT DISTINCT predicted FROM scores")} == {"positive"}
    version = labeled.db.execute("SELECT MAX(version) FROM version_heads").fetchone()[0]
    assert version_head(labeled.db, version).classes == ["positive", "neg", "neutral"]
    assert {row["label"] for row in final_labels(labeled)} == {"positive", "neg", "neutral"}
    assert {label for _, _, label in training_labels(labeled.db)} == {"positive", "neg", "neutral"}  # what trains next
    (change,) = [c for c in label_changes(labeled.db) if c["action"] == "rename"]
    assert (change["label"], change["target"], change["rows_changed"], change["actor"]) == ("pos", "positive", 3, "lead")
    # a change of case of the label itself is a rename like any other
    rename_label(labeled.db, "positive", "Positive")
    assert get_labels(labeled.db)[0] == "Positive"


def test_merge_moves_every_label_and_keeps_what_was_given(labeled):
    assert merge_labels(labeled.db, "neutral", "neg", actor="lead") == 2
    assert get_labels(labeled.db) == ["pos", "neg"]
    moved = [row for row in _labels_of(labeled) if row[2] is not None]
    assert [(label, original) for _, label, original, _ in moved] == [("neg", "neutral")] * 2
    raw = [r for r in raw_labels(labeled) if r["kind"] == "annotation"]
    assert sorted({(r["label"], r["original_label"]) for r in raw}, key=str) == sorted(
        {("pos", None), ("neg", None), ("neg", "neutral")}, key=str)
    # the history moves too: a superseded row cannot keep a label that is gone
    assert merge_labels(labeled.db, "pos", "neg") == 3
    assert labeled.db.execute("SELECT COUNT(*) FROM labels WHERE superseded = 1 AND original_label = 'pos'"
                              ).fetchone()[0] == 1
    assert {row["label"] for row in final_labels(labeled)} == {"neg"}
    assert [c["action"] for c in label_changes(labeled.db)][:2] == ["merge", "merge"]


def test_delete_refuses_while_labels_use_it_unless_they_move(labeled):
    with pytest.raises(LabelSetError, match=r"given by 3 label rows \(2 current"):
        delete_label(labeled.db, "pos")
    assert get_labels(labeled.db) == ["pos", "neg", "neutral"]
    add_labels(labeled.db, ["unused"])
    delete_label(labeled.db, "unused")
    assert delete_label(labeled.db, "pos", move_to="neg", actor="lead") == 3
    assert get_labels(labeled.db) == ["neg", "neutral"]
    assert [(c["action"], c["label"], c["target"]) for c in label_changes(labeled.db)][:2] == [
        ("delete", "pos", "neg"), ("delete", "unused", None)]


def test_bad_changes_are_one_line_and_change_nothing(labeled):
    before = (_labels_of(labeled), get_labels(labeled.db), len(label_changes(labeled.db)))
    cases = [
        (lambda: rename_label(labeled.db, "pso", "x"), "no label 'pso' in the label set (did you mean 'pos'?)"),
        (lambda: rename_label(labeled.db, "pos", "neg"), "already in the label set"),
        (lambda: rename_label(labeled.db, "pos", "NEG"), "differs from 'neg' only in case"),
        (lambda: rename_label(labeled.db, "pos", " spaced"), "leading or trailing spaces"),
        (lambda: merge_labels(labeled.db, "pos", "pos"), "into itself"),
        (lambda: merge_labels(labeled.db, "pos", "nope"), "no label 'nope'"),
        (lambda: delete_label(labeled.db, "neg", move_to="gone"), "no label to move to 'gone'"),
        (lambda: add_labels(labeled.db, ["Pos"]), "differs from 'pos' only in case"),
        (lambda: add_labels(labeled.db, ["a", "A"]), "only in case"),
    ]
    for call, message in cases:
        with pytest.raises(LabelSetError, match=message.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")):
            call()
    assert (_labels_of(labeled), get_labels(labeled.db), len(label_changes(labeled.db))) == before


def test_the_last_label_stays(project):
    merge_labels(project.db, "neg", "pos")
    merge_labels(project.db, "neutral", "pos")
    with pytest.raises(LabelSetError, match="only label"):
        delete_label(project.db, "pos")


def test_closest_label():
    labels = ["billing", "shipping", "technical", "positive"]
    assert closest_label("Positive", labels) == "positive"
    assert closest_label("shiping", labels) == "shipping"
    assert closest_label("TECHNICL", labels) == "technical"
    assert closest_label("weather", labels) is None
