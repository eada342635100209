"""The labeling page through AppTest: a key writes one row with provenance, skip, undo, literal text, keys."""

from __future__ import annotations

import pytest

from annotator.app import keys
from annotator.services.projects import open_project
from annotator.store.versions import current_version, publish_version
from tests.helpers.app import button, label_rows, shown_text


def _text_id(db, text: str) -> int:
    return db.execute("SELECT id FROM examples WHERE text = ?", (text,)).fetchone()[0]


def _publish_ranking(db) -> dict[int, tuple]:
    """A model version ranking the pool by hand: (rank, score, predicted, confidence) per example."""
    ids = [row[0] for row in db.execute("SELECT id FROM examples ORDER BY id DESC")]
    rows = [(eid, rank, 0.9 - rank / 10, "technical", 0.42) for rank, eid in enumerate(ids)]
    publish_version(db, kind="head", strategy="margin", scores=rows, watermark=0)
    return {eid: (rank, score, pred, conf) for eid, rank, score, pred, conf in rows}


def test_a_label_key_writes_one_row_with_provenance(ui_project, db, sign_in_app):
    scores = _publish_ranking(db)
    at = sign_in_app("ann")
    first = shown_text(at)
    first_id = _text_id(db, first)
    assert scores[first_id][0] == 0  # the top-ranked text is served first
    version = current_version(db)["version"]  # the hand-made ranking, after the worker's first one
    assert any(f"v{version}" in c.value and "margin" in c.value for c in at.caption)
    assert any("**technical** (42%)" in c.value for c in at.caption)
    button(at, "shipping").click().run()
    rows = label_rows(db)
    assert len(rows) == 1
    row = rows[0]
    assert row["example_id"] == first_id
    assert row["label"] == "shipping" and row["superseded"] == 0
    assert (row["model_version"], row["strategy"]) == (version, "margin")
    assert row["score"] == pytest.approx(scores[first_id][1])
    assert row["seconds"] is not None and row["seconds"] >= 0
    assert shown_text(at) != first  # the next text is on screen
    assert any("Saved" in c.value for c in at.caption)
    assert any("You: 1 labeled today · 1 in total" in c.value for c in at.caption)


def test_skip_labels_nothing_and_moves_on(ui_project, db, sign_in_app):
    at = sign_in_app("ann")
    first = shown_text(at)
    button(at, "Skip").click().run()
    assert not label_rows(db)
    skipped = db.execute("SELECT example_id FROM skips WHERE annotator = 'ann'").fetchall()
    assert skipped == [(_text_id(db, first),)]
    assert shown_text(at) != first


def test_undo_returns_to_the_text_and_supersedes_the_label(ui_project, db, sign_in_app):
    at = sign_in_app("ann")
    first = shown_text(at)
    button(at, "billing").click().run()
    second = shown_text(at)
    button(at, "Undo").click().run()
    assert shown_text(at) == first
    button(at, "technical").click().run()
    rows = label_rows(db)
    assert [(r["label"], r["superseded"], r["superseded_reason"]) for r in rows] == [
        ("billing", 1, "undo"), ("technical", 0, None),
    ]
    assert rows[1]["model_version"] == rows[0]["model_version"]
    assert shown_text(at) == second  # the text it left comes back, still leased


def test_undo_with_nothing_to_undo(ui_project, db, sign_in_app):
    at = sign_in_app("ann")
    first = shown_text(at)
    button(at, "Undo").click().run()
    assert shown_text(at) == first
    assert any("Nothing to undo" in c.value for c in at.caption)


def test_text_is_rendered_literally(tmp_path, monkeypatch, sign_in_app, project_factory):
    raw = "<script>alert('x')</script>\n\n# not a heading\n**not bold** <b>tag</b>"
    folder = project_factory(tmp_path / "lit", ["a", "b"], texts=[raw])
    monkeypatch.setenv("LABELLOOP_PROJECT", str(folder))
    at = sign_in_app("ann")
    assert shown_text(at) == raw  # st.text: no markdown, no HTML
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
    first = shown_text(at)
    box = [b for b in at.selectbox if b.key.startswith("ll_filter_")]
    assert len(box) == 1
    box[0].select("intent_42").run()
    with open_project(folder) as project:
        rows = label_rows(project.db)
        assert [(r["label"], r["example_id"]) for r in rows] == [("intent_42", _text_id(project.db, first))]
    following = [b for b in at.selectbox if b.key.startswith("ll_filter_")]
    assert len(following) == 1 and following[0].key != box[0].key and following[0].value is None


def test_training_status_shows_version_job_and_progress(ui_project, db, sign_in_app):
    from annotator.store.jobs import set_progress, start_job

    _publish_ranking(db)
    job = start_job(db, "finetune")
    set_progress(db, job, 0.4, "epoch 2 of 3")
    at = sign_in_app("ann")
    sidebar = [m.value for m in at.sidebar.markdown] + [c.value for c in at.sidebar.caption]
    assert any(f"model v{current_version(db)['version']} (head, margin)" in text for text in sidebar)
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
