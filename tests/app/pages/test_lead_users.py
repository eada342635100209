"""Labels and user names in the app's messages are shown as typed, never as markdown."""

from __future__ import annotations

from annotator.app import keys, navigation
from annotator.store.labels import add_label

MARKDOWN_LABEL = "*urgent* [see](http://example.com)"


def test_review_confirms_the_final_label_as_text(tmp_path, monkeypatch, project_factory, sign_in_app):
    folder = project_factory(tmp_path / "md", ["plain", MARKDOWN_LABEL])
    monkeypatch.setenv("LABELLOOP_PROJECT", str(folder))
    from annotator.services.projects import open_project

    with open_project(folder) as project:
        example_id = project.db.execute("SELECT MIN(id) FROM examples").fetchone()[0]
        add_label(project.db, example_id, "plain", "ann")
        add_label(project.db, example_id, MARKDOWN_LABEL, "other")
    at = sign_in_app("lead")
    at.switch_page(str(navigation.PAGES_DIR / "lead_review.py")).run()
    at.button(key=f"ll_adj_{example_id}_{MARKDOWN_LABEL}").click().run()
    assert not at.exception
    shown = [s.value for s in at.success]
    assert keys.escape_markdown(f"Item {example_id}: final label set to {MARKDOWN_LABEL}.") in shown


def test_the_sidebar_and_the_users_page_show_names_as_text(ui_project, sign_in_app):
    name = "**boss**_[x](y)"
    at = sign_in_app("lead")
    at.switch_page(str(navigation.PAGES_DIR / "lead_users.py")).run()
    at.text_input(key="ll_users_add_name").input(name)
    at.text_input(key="ll_users_add_password").input("a-long-password")
    at.text_input(key="ll_users_add_repeat").input("a-long-password")
    [b for b in at.button if b.label == "Add user"][0].click().run()
    assert keys.escape_markdown(f"Added annotator {name}.") in [s.value for s in at.success]
    assert any(r"Signed in as **lead**" in c.value for c in at.sidebar.caption)
