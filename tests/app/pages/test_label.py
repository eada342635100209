"""The app through streamlit.testing.v1.AppTest: sign-in, roles, labeling, skip, undo, literal text."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from annotator.app import keys, navigation
from annotator.services import auth
from annotator.services.projects import open_project
from annotator.store.users import get_user, update_user
from annotator.store.versions import publish_version


def _label_rows(db, annotator="ann"):
    cursor = db.execute(
        "SELECT example_id, label, annotator, seconds, model_version, strategy, score, "
        "superseded, superseded_reason FROM labels WHERE annotator = ? ORDER BY id", (annotator,)
    )
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _shown_text(at) -> str:
    assert len(at.text) == 1, [t.value for t in at.text]
    return at.text[0].value


def _text_id(db, text: str) -> int:
    return db.execute("SELECT id FROM examples WHERE text = ?", (text,)).fetchone()[0]


def _button(at, label: str):
    matches = [b for b in at.button if b.label == label]
    assert matches, [b.label for b in at.button]
    return matches[0]


def test_sign_in_shows_the_labeling_page(ui_project, sign_in_app):
    at = sign_in_app("ann")
    assert not at.exception
    assert not at.error
    assert _shown_text(at)
    labels = [b.label for b in at.button]
    assert labels[:3] == ["billing", "shipping", "technical"]
    assert "Sign out" in labels


def test_wrong_name_and_wrong_password_get_the_same_message(ui_project, sign_in_app):
    wrong_password = sign_in_app("ann", "nope")
    unknown_name = sign_in_app("nobody", "ann-pass")
    for at in (wrong_password, unknown_name):
        assert [e.value for e in at.error] == [auth.SIGN_IN_FAILED]
        assert not at.text  # no labeling page


def test_repeated_failures_are_throttled_in_the_page(ui_project, sign_in_app):
    for _ in range(auth.FREE_FAILURES + 1):
        at = sign_in_app("ann", "nope")
    at = sign_in_app("ann")  # the right password, but the name is locked for a while
    assert "Too many failed sign-ins" in at.error[0].value
    assert not at.text


def test_sign_out_gives_back_the_text_and_signs_out(ui_project, db, sign_in_app):
    at = sign_in_app("ann")
    assert db.execute("SELECT COUNT(*) FROM leases WHERE annotator = 'ann'").fetchone()[0] == 1
    _button(at, "Sign out").click().run()
    assert db.execute("SELECT COUNT(*) FROM leases WHERE annotator = 'ann'").fetchone()[0] == 0
    assert "ll_user" not in at.session_state
    assert not at.text  # the labeling page refuses a signed-out session
    # (AppTest reruns the last page script itself; the browser test covers the switch to sign-in)


def test_deactivated_user_is_signed_out_at_the_next_click(ui_project, db, sign_in_app):
    at = sign_in_app("ann")
    update_user(db, "ann", active=False)
    _button(at, "billing").click().run()
    assert not _label_rows(db)
    assert not at.text


@pytest.fixture
def stub_lead_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A lead page made only for this test, listed the way real lead pages are."""
    page = tmp_path / "lead_stub.py"
    page.write_text(
        "import streamlit as st\n"
        "from annotator.app import session\n"
        "session.require_page_role('lead')\n"
        "st.write('lead secret')\n"
    )
    spec = navigation.PageSpec(str(page), "Stub", ":material/lock:", "lead", "lead-stub")
    monkeypatch.setattr(navigation, "LEAD_PAGES", [*navigation.LEAD_PAGES, spec])
    return page


def _markdown(at) -> list[str]:
    return [m.value for m in at.markdown]


def test_annotator_cannot_reach_a_lead_page(ui_project, stub_lead_page, sign_in_app):
    assert [p.title for p in navigation.pages_for(auth.User("ann", "annotator"))] == ["Label"]
    assert "Stub" in [p.title for p in navigation.pages_for(auth.User("lead", "lead"))]
    # Through the app: the page is not in an annotator's navigation.
    at = sign_in_app("ann")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(str(stub_lead_page))
    # The page itself refuses an annotator on the server side, even when run directly.
    direct = AppTest.from_file(str(stub_lead_page), default_timeout=30)
    with open_project(ui_project) as project:
        direct.session_state["ll_user"] = "ann"
        direct.session_state["ll_user_stamp"] = get_user(project.db, "ann")["credential_stamp"]
    direct.run()
    assert "lead secret" not in _markdown(direct)
    assert "lead role" in direct.error[0].value
    # A lead sees it.
    lead = sign_in_app("lead")
    lead.switch_page(str(stub_lead_page)).run()
    assert "lead secret" in _markdown(lead)


def _publish_ranking(db) -> dict[int, tuple]:
    """A model version ranking the pool by hand: (rank, score, predicted, confidence) per example."""
    ids = [row[0] for row in db.execute("SELECT id FROM examples ORDER BY id DESC")]
    rows = [(eid, rank, 0.9 - rank / 10, "technical", 0.42) for rank, eid in enumerate(ids)]
    publish_version(db, kind="head", strategy="margin", scores=rows, watermark=0)
    return {eid: (rank, score, pred, conf) for eid, rank, score, pred, conf in rows}


def test_a_label_key_writes_one_row_with_provenance(ui_project, db, sign_in_app):
    scores = _publish_ranking(db)
    at = sign_in_app("ann")
    first = _shown_text(at)
    first_id = _text_id(db, first)
    assert scores[first_id][0] == 0  # the top-ranked text is served first
    assert any("v1" in c.value and "margin" in c.value for c in at.caption)
    assert any("**technical** (42%)" in c.value for c in at.caption)
    _button(at, "shipping").click().run()
    rows = _label_rows(db)
    assert len(rows) == 1
    row = rows[0]
    assert row["example_id"] == first_id
    assert row["label"] == "shipping" and row["superseded"] == 0
    assert (row["model_version"], row["strategy"]) == (1, "margin")
    assert row["score"] == pytest.approx(scores[first_id][1])
    assert row["seconds"] is not None and row["seconds"] >= 0
    assert _shown_text(at) != first  # the next text is on screen
    assert any("Saved" in c.value for c in at.caption)
    assert any("You: 1 labeled today · 1 in total" in c.value for c in at.caption)


def test_skip_labels_nothing_and_moves_on(ui_project, db, sign_in_app):
    at = sign_in_app("ann")
    first = _shown_text(at)
    _button(at, "Skip").click().run()
    assert not _label_rows(db)
    skipped = db.execute("SELECT example_id FROM skips WHERE annotator = 'ann'").fetchall()
    assert skipped == [(_text_id(db, first),)]
    assert _shown_text(at) != first


def test_undo_returns_to_the_text_and_supersedes_the_label(ui_project, db, sign_in_app):
    at = sign_in_app("ann")
    first = _shown_text(at)
    _button(at, "billing").click().run()
    second = _shown_text(at)
    _button(at, "Undo").click().run()
    assert _shown_text(at) == first
    _button(at, "technical").click().run()
    rows = _label_rows(db)
    assert [(r["label"], r["superseded"], r["superseded_reason"]) for r in rows] == [
        ("billing", 1, "undo"), ("technical", 0, None),
    ]
    assert rows[1]["model_version"] == rows[0]["model_version"]
    assert _shown_text(at) == second  # the text it left comes back, still leased


def test_undo_with_nothing_to_undo(ui_project, db, sign_in_app):
    at = sign_in_app("ann")
    first = _shown_text(at)
    _button(at, "Undo").click().run()
    assert _shown_text(at) == first
    assert any("Nothing to undo" in c.value for c in at.caption)


def test_text_is_rendered_literally(tmp_path, monkeypatch, sign_in_app, project_factory):
    raw = "<script>alert('x')</script>\n\n# not a heading\n**not bold** <b>tag</b>"
    folder = project_factory(tmp_path / "lit", ["a", "b"], texts=[raw])
    monkeypatch.setenv("LABELLOOP_PROJECT", str(folder))
    at = sign_in_app("ann")
    assert _shown_text(at) == raw  # st.text: no markdown, no HTML
    assert not any("<script>" in m.value for m in at.markdown)


def test_suggestion_can_be_hidden(ui_project, sign_in_app):
    at = sign_in_app("ann")
    assert any("Model suggestion" in c.value for c in at.caption)
    at.toggle(key="ll_hide_suggestion").set_value(True).run()
    assert not any("Model suggestion" in c.value for c in at.caption)


def test_keys_are_bound_to_buttons(ui_project, sign_in_app):
    at = sign_in_app("ann")
    shortcuts = {b.label: b.proto.shortcut for b in at.button}
    assert shortcuts["billing"] == "1" and shortcuts["technical"] == "3"
    assert shortcuts["Skip"] == keys.SKIP_KEY and shortcuts["Undo"] == keys.UNDO_KEY


def test_many_labels_get_keys_and_a_filter_box(tmp_path, monkeypatch, sign_in_app, project_factory):
    labels = [f"intent_{i:02d}" for i in range(77)]
    folder = project_factory(tmp_path / "many", labels)
    monkeypatch.setenv("LABELLOOP_PROJECT", str(folder))
    at = sign_in_app("ann")
    shortcuts = [b.proto.shortcut for b in at.button if b.label.startswith("intent")]
    assert len(shortcuts) == 77
    assert shortcuts[:10] == list("123456789a") and len(set(filter(None, shortcuts))) == len(keys.LABEL_KEYS)
    assert not set(shortcuts) & {"c", "r", keys.SKIP_KEY, keys.UNDO_KEY}
    first = _shown_text(at)
    box = [b for b in at.selectbox if b.key.startswith("ll_filter_")]
    assert len(box) == 1
    box[0].select("intent_42").run()
    with open_project(folder) as project:
        rows = _label_rows(project.db)
        assert [(r["label"], r["example_id"]) for r in rows] == [("intent_42", _text_id(project.db, first))]
    following = [b for b in at.selectbox if b.key.startswith("ll_filter_")]
    assert len(following) == 1 and following[0].key != box[0].key and following[0].value is None


def test_markdown_escaping_keeps_label_names_as_typed():
    assert keys.escape_markdown("a*b_[c](d)") == r"a\*b\_\[c\]\(d\)"
    assert keys.assign_keys(["x", "y"]) == ["1", "2"]


def test_training_status_shows_version_job_and_progress(ui_project, db, sign_in_app):
    from annotator.store.jobs import set_progress, start_job

    _publish_ranking(db)
    job = start_job(db, "finetune")
    set_progress(db, job, 0.4, "epoch 2 of 3")
    at = sign_in_app("ann")
    sidebar = [m.value for m in at.sidebar.markdown] + [c.value for c in at.sidebar.caption]
    assert any("model v1 (head, margin)" in text for text in sidebar)
    assert any("0 of 6 labeled" in text for text in sidebar)
    bars = [p.proto for p in at.sidebar.get("progress")]
    assert any("Training now: finetune 40%" in bar.text for bar in bars)


def test_guidelines_are_shown_in_a_collapsed_panel(ui_project, db, sign_in_app):
    from annotator.services.settings import set_settings

    set_settings(db, guidelines="## Billing\nAnything about **invoices**.")
    at = sign_in_app("ann")
    assert [e.label for e in at.expander] == ["Guidelines"]
    assert any("Anything about **invoices**." in m.value for m in at.expander[0].markdown)


def test_a_text_too_long_to_show_has_no_label_buttons(tmp_path, monkeypatch, sign_in_app, project_factory):
    from annotator.services.settings import set_settings

    folder = project_factory(tmp_path / "long", ["a", "b"], ["word " * 400])
    monkeypatch.setenv("LABELLOOP_PROJECT", str(folder))
    with open_project(folder) as project:
        set_settings(project.db, max_text_chars=1000)
    at = sign_in_app("ann")
    assert any("more than the project's limit" in w.value for w in at.warning)
    assert [b.key for b in at.button if b.key and b.key.startswith("ll_label_")] == []
    assert "word word" not in " ".join(t.value for t in at.text)
    at.button(key="ll_skip").click().run()
    assert not at.exception


def test_invisible_and_direction_changing_characters_are_shown_as_markers():
    from annotator.app.labeling import visible_text

    assert visible_text("invoice\u202eexe.txt") == "invoice⟦U+202E RIGHT-TO-LEFT OVERRIDE⟧exe.txt"
    assert visible_text("a\u200bb") == "a⟦U+200B ZERO WIDTH SPACE⟧b"
    assert visible_text("bell\x07") == "bell⟦U+0007⟧"
    plain = "line one\nline two\tTabbed — ünïcödé 中文 😀"
    assert visible_text(plain) == plain
