"""annotator.app.navigation: which pages a role's menu lists; a lead page is out of an annotator's reach."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from annotator.app import navigation
from annotator.services import auth
from annotator.services.auth import User
from tests.helpers.app import LEAD_PAGE_FILES, PAGES_DIR, PASSWORDS, TITLES, button, sign_in, titles


def test_every_lead_page_is_registered():
    assert sorted(LEAD_PAGE_FILES) == sorted(TITLES)
    assert all(spec.role == "lead" for spec in navigation.LEAD_PAGES)
    annotator_menu = navigation.pages_for(User("ann1", "annotator"))
    assert not {spec.file for spec in annotator_menu} & set(LEAD_PAGE_FILES)
    lead_menu = {spec.file for spec in navigation.pages_for(User("lead", "lead"))}
    assert set(LEAD_PAGE_FILES) <= lead_menu


def test_annotator_cannot_reach_a_lead_page_through_the_app(app_env):
    app_main = str(PAGES_DIR.parent / "main.py")
    lead = AppTest.from_file(app_main, default_timeout=60)
    sign_in(lead, app_env.path, "lead")
    lead.run()
    lead.switch_page(str(PAGES_DIR / "lead_dashboard.py")).run()
    assert "Dashboard" in titles(lead)

    at = AppTest.from_file(app_main, default_timeout=60)
    sign_in(at, app_env.path, "ann1")
    at.run()
    # the lead pages have an address for an annotator too (hidden from the menu), and refuse
    at.switch_page(str(PAGES_DIR / "lead_dashboard.py")).run()
    assert "Dashboard" not in titles(at)
    assert "lead role" in at.error[0].value


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
    assert [p.title for p in navigation.pages_for(auth.User("ann", "annotator"))] == ["Label", "Explore"]
    assert "Stub" in [p.title for p in navigation.pages_for(auth.User("lead", "lead"))]
    # Through the app: the page has an address but no menu entry, and refuses an annotator.
    at = sign_in_app("ann")
    at.switch_page(str(stub_lead_page)).run()
    assert "lead secret" not in _markdown(at)
    assert "lead role" in at.error[0].value
    # The page itself refuses an annotator on the server side, even when run directly.
    direct = AppTest.from_file(str(stub_lead_page), default_timeout=30)
    sign_in(direct, ui_project, "ann")
    direct.run()
    assert "lead secret" not in _markdown(direct)
    assert "lead role" in direct.error[0].value
    # A lead sees it.
    lead = sign_in_app("lead")
    lead.switch_page(str(stub_lead_page)).run()
    assert "lead secret" in _markdown(lead)


def test_a_lead_lands_on_the_dashboard_and_leases_nothing(ui_project, db, sign_in_app):
    lead = sign_in_app("lead")
    assert titles(lead) == ["Dashboard"]
    assert db.execute("SELECT COUNT(*) FROM leases").fetchone()[0] == 0
    assert [spec.url_path for spec in navigation.pages_for(User("lead", "lead"))][:2] == ["dashboard", "label"]


def test_leaving_the_label_page_gives_its_text_back(ui_project, db, sign_in_app):
    lead = sign_in_app("lead")
    lead.switch_page(str(PAGES_DIR / "label.py")).run()
    assert db.execute("SELECT COUNT(*) FROM leases WHERE annotator = 'lead'").fetchone()[0] == 1
    lead.switch_page(str(PAGES_DIR / "lead_review.py")).run()
    assert titles(lead) == ["Review"]
    assert db.execute("SELECT COUNT(*) FROM leases WHERE annotator = 'lead'").fetchone()[0] == 0


def test_an_annotators_home_page_keeps_its_text_from_run_to_run(ui_project, db, sign_in_app):
    # Label is an annotator's first page, whose url_path Streamlit reports as "": it is still the Label page.
    ann = sign_in_app("ann")
    held = db.execute("SELECT example_id, leased_at FROM leases WHERE annotator = 'ann'").fetchall()
    ann.run()
    assert len(held) == 1
    assert db.execute("SELECT example_id, leased_at FROM leases WHERE annotator = 'ann'").fetchall() == held


def test_after_a_sign_out_the_next_user_starts_at_their_own_home_page(ui_project, db, sign_in_app):
    # An annotator signs out of the Label page; a lead signing in at the same browser lands on the
    # Dashboard, not on the page the annotator left, and holds no text.
    at = sign_in_app("ann")
    button(at, "Sign out").click().run()
    at.text_input(key="ll_sign_in_name").input("lead")
    at.text_input(key="ll_sign_in_password").input(PASSWORDS["lead"])
    button(at, "Sign in").click().run()
    assert titles(at) == ["Dashboard"]
    assert db.execute("SELECT COUNT(*) FROM leases").fetchone()[0] == 0


def test_leaving_the_explore_page_gives_its_open_text_back(ui_project, db, sign_in_app):
    # A text opened on Explore is held while its card is on screen, and goes back to the queue when
    # the annotator moves to another page or signs out.
    at = sign_in_app("ann")
    at.switch_page(str(PAGES_DIR / "lead_dashboard.py")).run()  # (refuses an annotator; holds nothing)
    target = db.execute("SELECT id FROM examples WHERE text = 'Please delete my account'").fetchone()[0]
    at.query_params["item"] = str(target)
    at.switch_page(str(PAGES_DIR / "explore.py")).run()
    held = "SELECT example_id FROM leases WHERE annotator = 'ann'"
    assert db.execute(held).fetchall() == [(target,)]
    del at.query_params["item"]  # (a menu link carries no query)
    at.switch_page(str(PAGES_DIR / "label.py")).run()
    on_label = db.execute(held).fetchall()
    assert len(on_label) == 1 and on_label != [(target,)]  # the Label page's own text, not Explore's
    at.query_params["item"] = str(target)
    at.switch_page(str(PAGES_DIR / "explore.py")).run()
    assert db.execute(held).fetchall() == [(target,)]
    button(at, "Sign out").click().run()
    assert db.execute(held).fetchall() == []


def test_the_root_address_opens_the_home_page_with_its_query(ui_project, db):
    # Signed in, "/" is no page of its own: it opens the role's home page, keeping the query
    # (/?item=ID opens that text on an annotator's Label page).
    target = db.execute("SELECT id FROM examples WHERE text = 'Great service, thanks'").fetchone()[0]
    at = sign_in(AppTest.from_file(str(PAGES_DIR.parent / "main.py"), default_timeout=60), ui_project, "ann")
    at.query_params["item"] = str(target)
    at.run()
    assert "Great service, thanks" in [t.value for t in at.text]
    assert db.execute("SELECT example_id FROM leases WHERE annotator = 'ann'").fetchall() == [(target,)]
    lead = sign_in(AppTest.from_file(str(PAGES_DIR.parent / "main.py"), default_timeout=60), ui_project, "lead")
    lead.run()
    assert titles(lead) == ["Dashboard"]


def test_a_session_the_server_ended_opens_its_page_again_after_signing_in(ui_project, db, sign_in_app):
    # Unlike a sign-out by hand: a password reset ends the lead's session on the Review page; signing
    # in again opens the Review page, not the Dashboard.
    from annotator.store.users import get_user, update_user

    at = sign_in_app("lead")
    at.switch_page(str(PAGES_DIR / "lead_review.py")).run()
    update_user(db, "lead", password_hash=get_user(db, "lead")["password_hash"])  # same hash, still a reset
    at.run()
    at.switch_page(str(PAGES_DIR / "sign_in.py"))  # where the browser now is (AppTest keeps asking for Review)
    at.text_input(key="ll_sign_in_name").input("lead")
    at.text_input(key="ll_sign_in_password").input(PASSWORDS["lead"])
    button(at, "Sign in").click().run()
    assert titles(at) == ["Review"]
