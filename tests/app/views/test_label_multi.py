"""The labeling card of a multi-label project through AppTest: keys toggle labels, Enter submits the
chosen set (or accepts the suggested one), "none of these" only when the lead allows it; undo,
history and skip work as for one label. Every check reads the project's SQLite file."""

from __future__ import annotations

import json

import pytest

from annotator.app import keys
from annotator.services.projects import open_project
from annotator.services.settings import set_settings
from annotator.store.label_sets import current_label_sets, members_of
from annotator.store.versions import publish_version
from tests.helpers.app import button, label_rows, make_ui_project, shown_text

LABELS = ["billing", "shipping", "technical"]


@pytest.fixture
def multi_project(tmp_path, monkeypatch):
    folder = make_ui_project(tmp_path / "multi", LABELS, multi_label=True)
    monkeypatch.setenv("LABELLOOP_PROJECT", str(folder))
    with open_project(folder) as project:
        yield project.db


def _label_buttons(at) -> dict[str, tuple[str, str]]:
    """label -> (its button's type, its icon)."""
    return {b.label: (b.proto.type, b.proto.icon) for b in at.button if b.key and b.key.startswith("ll_label_")}


def _sets(db) -> dict[int, list[str]]:
    return {row["example_id"]: row["names"] for row in current_label_sets(db)}


def _text_id(db, text: str) -> int:
    return db.execute("SELECT id FROM examples WHERE text = ?", (text,)).fetchone()[0]


def test_keys_toggle_labels_and_enter_submits_the_chosen_set(multi_project, sign_in_app):
    db = multi_project
    at = sign_in_app("ann")
    first = shown_text(at)
    submit = at.button(key="ll_submit")
    assert submit.disabled and submit.proto.shortcut == "enter"
    assert [b.proto.shortcut for b in at.button if b.key and b.key.startswith("ll_label_")] == ["1", "2", "3"]
    button(at, "technical").click().run()
    button(at, "billing").click().run()
    button(at, "shipping").click().run()
    button(at, "shipping").click().run()  # off again
    assert shown_text(at) == first and not label_rows(db)  # nothing saved while choosing
    assert {name: kind for name, (kind, _) in _label_buttons(at).items()} == {
        "billing": "primary", "shipping": "secondary", "technical": "primary"}
    assert at.button(key="ll_submit").label == "Submit billing \\+ technical"
    at.button(key="ll_submit").click().run()
    [row] = label_rows(db)
    assert row["label"] is None and row["superseded"] == 0 and row["seconds"] is not None
    assert _sets(db) == {_text_id(db, first): ["billing", "technical"]}
    assert shown_text(at) != first
    assert any("Saved **billing \\+ technical**" in c.value for c in at.caption)
    assert {kind for kind, _ in _label_buttons(at).values()} == {"secondary"}  # a fresh card


def test_the_suggested_set_is_starred_and_enter_with_nothing_chosen_accepts_it(multi_project, sign_in_app):
    db = multi_project
    ids = [row[0] for row in db.execute("SELECT id FROM examples ORDER BY id")]
    publish_version(db, kind="head", strategy="margin", watermark=0,
                    scores=[(eid, rank, 0.5, json.dumps(["shipping", "technical"]), 0.7)
                            for rank, eid in enumerate(ids)])
    at = sign_in_app("ann")
    first_id = _text_id(db, shown_text(at))
    assert {name: icon for name, (_, icon) in _label_buttons(at).items()} == {
        "billing": "", "shipping": ":material/auto_awesome:", "technical": ":material/auto_awesome:"}
    assert any("Model suggestion: **shipping \\+ technical**" in c.value for c in at.caption)
    accept = at.button(key="ll_submit")
    assert accept.label == "Accept shipping \\+ technical" and not accept.disabled
    accept.click().run()
    assert _sets(db) == {first_id: ["shipping", "technical"]}
    assert db.execute("SELECT suggestion FROM labels").fetchone()[0] == '["shipping", "technical"]'
    button(at, "billing").click().run()  # a choice overrules the suggestion, which is still recorded
    at.button(key="ll_submit").click().run()
    assert db.execute("SELECT suggestion FROM labels ORDER BY id DESC").fetchone()[0] == '["shipping", "technical"]'
    assert sorted(_sets(db).values()) == [["billing"], ["shipping", "technical"]]


def test_none_of_these_only_when_the_lead_allows_it(multi_project, sign_in_app):
    db = multi_project
    at = sign_in_app("ann")
    assert not [b for b in at.button if b.key == "ll_none_of_these"]
    assert not any("none of these" in c.value for c in at.caption)
    set_settings(db, none_of_these=True)
    at = sign_in_app("ann")
    first_id = _text_id(db, shown_text(at))
    none = at.button(key="ll_none_of_these")
    assert none.proto.shortcut == keys.NONE_OF_THESE_KEY
    none.click().run()
    assert _sets(db) == {first_id: []}
    assert any("Saved **none of these**" in c.value for c in at.caption)


def test_undo_brings_the_set_back_to_change_it(multi_project, sign_in_app):
    db = multi_project
    at = sign_in_app("ann")
    first = shown_text(at)
    button(at, "billing").click().run()
    button(at, "shipping").click().run()
    at.button(key="ll_submit").click().run()
    button(at, "Undo").click().run()
    assert shown_text(at) == first
    assert any("you gave **billing \\+ shipping**" in c.value for c in at.caption)
    assert {name: kind for name, (kind, _) in _label_buttons(at).items()} == {
        "billing": "primary", "shipping": "primary", "technical": "secondary"}
    button(at, "shipping").click().run()
    at.button(key="ll_submit").click().run()
    rows = db.execute("SELECT id, superseded, superseded_reason FROM labels ORDER BY id").fetchall()
    assert [(superseded, reason) for _, superseded, reason in rows] == [(1, "undo"), (0, None)]
    assert members_of(db, [rows[0][0], rows[1][0]]) == {rows[0][0]: ["billing", "shipping"], rows[1][0]: ["billing"]}


def test_history_lists_sets_and_opens_one_to_change(multi_project, sign_in_app):
    db = multi_project
    at = sign_in_app("ann")
    first = shown_text(at)
    button(at, "technical").click().run()
    button(at, "billing").click().run()
    at.button(key="ll_submit").click().run()
    second = shown_text(at)
    at.button(key="ll_history_toggle").click().run()
    listed = [b.label for b in at.button if b.key and b.key.startswith("ll_history_open_")]
    assert listed == ["billing \\+ technical"]
    at.button(key=f"ll_history_open_{_text_id(db, first)}").click().run()
    assert shown_text(at) == first
    assert at.button(key="ll_submit").label == "Submit billing \\+ technical"
    button(at, "Skip").click().run()  # back from the history: skip keeps the set
    assert shown_text(at) == second and _sets(db) == {_text_id(db, first): ["billing", "technical"]}
    assert any("Kept **billing \\+ technical**" in c.value for c in at.caption)


def test_the_dashboard_shows_a_multi_label_models_figures(multi_project):
    import numpy as np

    from annotator.store.versions import StoredHead
    from tests.helpers.app import page

    db = multi_project
    ids = [row[0] for row in db.execute("SELECT id FROM examples ORDER BY id")]
    metrics = {"micro_f1": 0.61, "macro_f1": 0.42, "subset_accuracy": 0.35, "accuracy": 0.35, "n_eval": 20,
               "predictor": {"kind": "head", "multi_label": True}}
    publish_version(db, kind="head", strategy="margin", watermark=0, metrics=metrics,
                    scores=[(eid, rank, 0.5, "[]", 0.7) for rank, eid in enumerate(ids)],
                    head=StoredHead(0, LABELS, np.zeros((3, 4)), np.zeros(3)))
    at = page("lead_dashboard.py", "lead")
    assert not at.exception
    assert any("multi-label project" in c.value for c in at.caption)
    [figure] = [m for m in at.metric if "micro-F1" in m.label]
    assert figure.value == "0.610" or figure.value.startswith("0.61")


def test_the_project_page_shows_the_type_and_lets_the_lead_allow_none_of_these(multi_project):
    from annotator.services.settings import get_settings
    from tests.helpers.app import page

    at = page("lead_project.py", "lead")
    assert at.caption[0].value.startswith("Multi-label project (fixed when it was created)")
    at.checkbox(key="ll_project_none_of_these").check()
    [b for b in at.button if b.label == "Save settings"][0].click().run()
    assert get_settings(multi_project).none_of_these is True
