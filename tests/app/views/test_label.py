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


@pytest.mark.both_backends  # the page on PostgreSQL too
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


@pytest.mark.both_backends  # the page on PostgreSQL too
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


def _ids(db) -> list[int]:
    return [row[0] for row in db.execute("SELECT id FROM examples ORDER BY id")]


def test_the_suggestion_is_marked_on_its_button_and_enter_accepts_it(ui_project, db, sign_in_app):
    scores = _publish_ranking(db)  # suggests "technical" for every text
    at = sign_in_app("ann")
    first_id = _text_id(db, shown_text(at))
    kinds = {b.label: b.proto.type for b in at.button if b.key and b.key.startswith("ll_label_")}
    assert kinds == {"billing": "secondary", "shipping": "secondary", "technical": "primary"}
    accept = at.button(key="ll_accept")
    assert accept.label == "Accept technical" and accept.proto.shortcut == "enter"
    accept.click().run()
    row = db.execute("SELECT example_id, label, suggestion, model_version, strategy, score FROM labels").fetchall()
    assert row == [(first_id, "technical", "technical", current_version(db)["version"], "margin",
                    pytest.approx(scores[first_id][1]))]
    assert any("Accepted **technical**" in c.value for c in at.caption)
    # choosing another label keeps what was suggested, so accepted and overruled suggestions can be told apart
    button(at, "billing").click().run()
    assert db.execute("SELECT label, suggestion FROM labels ORDER BY id").fetchall()[-1] == ("billing", "technical")


def test_a_hidden_suggestion_is_neither_marked_nor_accepted_nor_recorded(ui_project, db, sign_in_app):
    _publish_ranking(db)
    at = sign_in_app("ann")
    at.toggle(key="ll_hide_suggestion").set_value(True).run()
    assert {b.proto.type for b in at.button if b.key and b.key.startswith("ll_label_")} == {"secondary"}
    assert not [b for b in at.button if b.key == "ll_accept"]
    button(at, "billing").click().run()
    assert db.execute("SELECT suggestion FROM labels").fetchall() == [(None,)]


@pytest.mark.both_backends  # the page on PostgreSQL too
def test_flag_takes_the_next_text_and_keeps_the_flagged_one_out_of_the_queue(ui_project, db, sign_in_app):
    at = sign_in_app("ann")
    first = shown_text(at)
    at.button(key="ll_flag").click().run()
    at.radio(key="ll_flag_reason").set_value("offensive")
    at.text_input(key="ll_flag_note").input("insults the agent")
    [b for b in at.button if b.label == "Flag and take the next text"][0].click().run()
    assert db.execute("SELECT example_id, annotator, reason, note, status FROM flags").fetchall() == [
        (_text_id(db, first), "ann", "offensive", "insults the agent", "open")]
    assert shown_text(at) != first
    assert not label_rows(db)
    leased = {row[0] for row in db.execute("SELECT example_id FROM leases")}
    assert _text_id(db, first) not in leased
    # nobody is served the flagged text while the flag is open: six texts, one flagged, one on ann's card
    from annotator.services import queue

    with open_project(ui_project) as opened:
        served = {queue.next_item(opened, f"other{i}").example_id for i in range(4)}
        assert queue.next_item(opened, "other4") is None
    assert _text_id(db, first) not in served


def test_other_needs_a_note_and_the_message_says_so(ui_project, db, sign_in_app):
    at = sign_in_app("ann")
    first = shown_text(at)
    at.button(key="ll_flag").click().run()
    at.radio(key="ll_flag_reason").set_value("other")
    [b for b in at.button if b.label == "Flag and take the next text"][0].click().run()
    assert db.execute("SELECT COUNT(*) FROM flags").fetchone()[0] == 0
    assert shown_text(at) == first
    assert any("write the note first" in e.value for e in at.error)


def test_a_comment_reaches_the_lead_and_the_text_stays(ui_project, db, sign_in_app):
    at = sign_in_app("ann")
    first = shown_text(at)
    at.button(key="ll_comment").click().run()
    at.text_input(key="ll_comment_body").input("Is a refund billing or account?")
    [b for b in at.button if b.label == "Send the comment"][0].click().run()
    assert db.execute("SELECT example_id, author, body FROM comments").fetchall() == [
        (_text_id(db, first), "ann", "Is a refund billing or account?")]
    assert shown_text(at) == first
    assert any("Comment sent" in c.value for c in at.caption)
    button(at, "billing").click().run()
    assert [r["label"] for r in label_rows(db)] == ["billing"]


@pytest.mark.both_backends  # the page on PostgreSQL too
def test_history_lists_what_you_gave_and_opens_a_label_to_change_it(ui_project, db, sign_in_app):
    _publish_ranking(db)
    at = sign_in_app("ann")
    first = shown_text(at)
    button(at, "billing").click().run()
    second = shown_text(at)
    button(at, "shipping").click().run()
    third = shown_text(at)
    at.button(key="ll_history_toggle").click().run()
    listed = [b.label for b in at.button if b.key and b.key.startswith("ll_history_open_")]
    assert listed == ["shipping", "billing"]  # newest first, what you gave
    at.button(key=f"ll_history_open_{_text_id(db, first)}").click().run()
    assert shown_text(at) == first
    assert any("You gave **billing**" in c.value for c in at.caption)
    button(at, "technical").click().run()
    rows = label_rows(db)
    assert [(r["label"], r["superseded"], r["superseded_reason"]) for r in rows] == [
        ("billing", 1, "relabel"), ("shipping", 0, None), ("technical", 0, None)]
    assert (rows[2]["model_version"], rows[2]["strategy"], rows[2]["score"]) == (
        rows[0]["model_version"], rows[0]["strategy"], rows[0]["score"])  # the provenance of the label changed
    assert shown_text(at) == third  # the text that was on the card comes back
    at.button(key="ll_history_toggle").click().run()
    entries = [t.value for t in at.text if t.value.startswith("was ")]
    assert entries == [f"was billing · {first}"]
    assert second  # (listed too, unchanged)


def test_skip_on_a_text_back_from_the_history_keeps_its_label(ui_project, db, sign_in_app):
    at = sign_in_app("ann")
    first = shown_text(at)
    button(at, "billing").click().run()
    at.button(key="ll_history_toggle").click().run()
    at.button(key=f"ll_history_open_{_text_id(db, first)}").click().run()
    at.button(key="ll_skip").click().run()
    assert [(r["label"], r["superseded"]) for r in label_rows(db)] == [("billing", 0)]
    assert db.execute("SELECT COUNT(*) FROM skips").fetchone()[0] == 0
    assert shown_text(at) != first


def test_item_in_the_address_opens_that_text_or_says_why_not(ui_project, db, sign_in_app):
    from annotator.store.labels import add_label

    ids = _ids(db)
    at = sign_in_app("ann")
    on_card = shown_text(at)
    target = next(i for i in ids if i != _text_id(db, on_card))
    at.query_params["item"] = str(target)
    at.run()
    assert _text_id(db, shown_text(at)) == target
    assert db.execute("SELECT example_id, strategy FROM leases WHERE annotator = 'ann'").fetchall() == [
        (target, "opened")]  # a person chose it, not the ranking; the text shown before went back
    button(at, "billing").click().run()
    assert db.execute("SELECT strategy FROM labels").fetchall() == [("opened",)]
    taken = next(i for i in ids if i not in (target,) and i != _text_id(db, shown_text(at)))
    add_label(db, taken, "shipping", "someone")
    at.query_params["item"] = str(taken)
    at.run()
    assert any(f"text {taken} is already labeled" in e.value for e in at.error)
    at.query_params["item"] = "abc"
    at.run()
    assert any("is not a text id" in e.value for e in at.error)


def test_context_columns_show_beside_the_text(tmp_path, monkeypatch, sign_in_app, project_factory):
    from annotator.services.imports import import_file
    from annotator.services.settings import set_settings

    folder = project_factory(tmp_path / "ctx", ["a", "b"], texts=["placeholder text"])
    pool = tmp_path / "ctx.csv"
    pool.write_text("text,author,product,secret\nMy router drops wifi,Maria *M*,Router X,gold\n", encoding="utf-8")
    with open_project(folder) as project:
        project.db.execute("DELETE FROM scores")
        project.db.execute("DELETE FROM examples")
        import_file(project, pool)
        set_settings(project.db, context_columns="author, product")
    monkeypatch.setenv("LABELLOOP_PROJECT", str(folder))
    at = sign_in_app("ann")
    assert shown_text(at) == "My router drops wifi"
    assert any(c.value == r"author: Maria \*M\* · product: Router X" for c in at.caption)
    assert not any("gold" in c.value for c in at.caption)
