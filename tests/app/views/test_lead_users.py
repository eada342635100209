"""The Users page: adding users, changing roles (never one's own), names shown as typed, never as markdown."""

from __future__ import annotations

from annotator.app import keys, navigation
from annotator.store.users import get_user
from tests.helpers.app import page


def test_users_page_adds_a_user_and_refuses_self_demotion(app_env):
    at = page("lead_users.py", "lead")
    at.text_input(key="ll_users_add_name").input("newbie")
    at.text_input(key="ll_users_add_password").input("a-long-password")
    at.text_input(key="ll_users_add_repeat").input("a-long-password")
    at.button[0].click().run()  # the add form's submit button comes first
    assert not at.exception
    assert get_user(app_env.db, "newbie")["role"] == "annotator"
    at.selectbox(key="ll_users_role_name").set_value("lead")
    at.selectbox(key="ll_users_role_role").set_value("annotator")
    [b for b in at.button if b.label == "Change role"][0].click().run()
    assert get_user(app_env.db, "lead")["role"] == "lead"
    assert "cannot demote yourself" in at.error[0].value


def test_users_page_rejects_a_short_password(app_env):
    at = page("lead_users.py", "lead")
    at.text_input(key="ll_users_add_name").input("shorty")
    at.text_input(key="ll_users_add_password").input("short")
    at.text_input(key="ll_users_add_repeat").input("short")
    at.button[0].click().run()
    assert get_user(app_env.db, "shorty") is None
    assert "at least 8 characters" in at.error[0].value


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
