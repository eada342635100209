"""annotator.app.session: an open session ends at its next page load or action once its user's credentials
change: a new password (labelloop user passwd), a deactivation (labelloop user remove), a role change; signing
out gives the text back; a bad stored setting never takes the app down, and a lead is told once."""

from __future__ import annotations

import io

import pytest
from streamlit.testing.v1 import AppTest

from annotator.app import navigation, session
from annotator.cli import main
from annotator.services.sessions import token_hash
from annotator.store.connection import write_transaction
from annotator.store.users import get_user, update_user
from tests.helpers.app import button, label_rows, session_token


def _count(db, sql: str) -> int:
    return db.execute(sql).fetchone()[0]


def _signed_out_with_notice(at) -> None:
    assert session.USER_KEY not in at.session_state
    assert not at.text  # no text on screen
    # why: on the sign-in page in a browser; AppTest stays on the page it ran, which says it
    assert session.SESSION_ENDED in [m.value for m in [*at.info, *at.warning]]


def _cli(*args: str, stdin: str = "") -> None:
    monkey_stdin = io.StringIO(stdin)
    import sys

    saved, sys.stdin = sys.stdin, monkey_stdin
    try:
        assert main(list(args)) == 0
    finally:
        sys.stdin = saved


def test_a_new_password_ends_the_open_session_at_the_next_action(ui_project, db, sign_in_app):
    at = sign_in_app("ann")
    assert at.text
    _cli("user", "passwd", "ann", "--password-stdin", "--project", str(ui_project), stdin="a-new-password\n")
    button(at, "billing").click().run()
    assert _count(db, "SELECT COUNT(*) FROM labels") == 0
    assert _count(db, "SELECT COUNT(*) FROM leases WHERE annotator = 'ann'") == 0
    _signed_out_with_notice(at)


def test_a_new_password_ends_the_open_session_at_the_next_page_load(ui_project, db, sign_in_app):
    at = sign_in_app("ann")
    update_user(db, "ann", password_hash=get_user(db, "ann")["password_hash"])  # same hash, still a reset
    at.run()
    _signed_out_with_notice(at)
    assert _count(db, "SELECT COUNT(*) FROM leases WHERE annotator = 'ann'") == 0


@pytest.mark.parametrize("action", ["billing", "Skip", "Undo"])
def test_a_removed_user_can_neither_label_nor_lease(ui_project, db, sign_in_app, action):
    at = sign_in_app("ann")
    _cli("user", "remove", "ann", "--project", str(ui_project))
    button(at, action).click().run()
    assert _count(db, "SELECT COUNT(*) FROM labels") == 0
    assert _count(db, "SELECT COUNT(*) FROM skips") == 0
    assert _count(db, "SELECT COUNT(*) FROM leases WHERE annotator = 'ann'") == 0
    assert not any("labeled" in m.value for m in at.sidebar.markdown)  # no project counts either
    _signed_out_with_notice(at)


def test_a_demoted_lead_is_signed_out_of_a_lead_page(ui_project, db, sign_in_app):
    at = sign_in_app("lead")
    at.switch_page(str(navigation.PAGES_DIR / "lead_users.py")).run()
    assert [t.value for t in at.title] == ["Users"]
    update_user(db, "lead", role="annotator")
    at.run()
    assert "Users" not in [t.value for t in at.title]
    _signed_out_with_notice(at)


def test_a_session_needs_a_live_token_issued_under_the_current_stamp(ui_project, db):
    page = str(navigation.PAGES_DIR / "label.py")
    stale = session_token(ui_project, "ann")
    db.execute("UPDATE sessions SET stamp = ? WHERE token_hash = ?", ("0" * 32, token_hash(stale)))
    expired = session_token(ui_project, "ann")
    db.execute("UPDATE sessions SET expires_at = 1 WHERE token_hash = ?", (token_hash(expired),))
    for token in ("not-a-session", stale, expired):  # never issued, issued under old credentials, expired
        at = AppTest.from_file(page, default_timeout=30)
        at.session_state[session.TOKEN_KEY] = token
        at.session_state[session.USER_KEY] = "ann"
        at.run()
        assert not at.text and [w.value for w in at.warning] == [session.SESSION_ENDED]
    assert _count(db, "SELECT COUNT(*) FROM leases WHERE annotator = 'ann'") == 0


def test_a_lead_resetting_their_own_password_stays_signed_in_here_only(ui_project, db, sign_in_app):
    here, elsewhere = sign_in_app("lead"), sign_in_app("lead")
    users_page = str(navigation.PAGES_DIR / "lead_users.py")
    here.switch_page(users_page).run()
    here.selectbox(key="ll_users_password_name").set_value("lead")
    here.text_input(key="ll_users_password_new").input("another-password")
    here.text_input(key="ll_users_password_repeat").input("another-password")
    [b for b in here.button if b.label == "Set password"][0].click().run()
    assert "New password set for lead." in [s.value.replace("\\", "") for s in here.success]
    here.run()
    assert [t.value for t in here.title] == ["Users"]  # this session goes on
    elsewhere.run()
    _signed_out_with_notice(elsewhere)  # the other one ends


def test_sign_out_gives_back_the_text_and_signs_out(ui_project, db, sign_in_app):
    at = sign_in_app("ann")
    assert db.execute("SELECT COUNT(*) FROM leases WHERE annotator = 'ann'").fetchone()[0] == 1
    button(at, "Sign out").click().run()
    assert db.execute("SELECT COUNT(*) FROM leases WHERE annotator = 'ann'").fetchone()[0] == 0
    assert "ll_user" not in at.session_state
    assert not at.text  # the labeling page refuses a signed-out session
    # (AppTest reruns the last page script itself; the browser test covers the switch to sign-in)


def test_deactivated_user_is_signed_out_at_the_next_click(ui_project, db, sign_in_app):
    at = sign_in_app("ann")
    update_user(db, "ann", active=False)
    button(at, "billing").click().run()
    assert not label_rows(db)
    assert not at.text


# a bad value already stored in an old project's database never takes the app down
BAD_SETTINGS = "INSERT INTO settings(key, value) VALUES ('overlap_fraction', 'NaN'), ('read_pause_ms', '1e+23')"


@pytest.mark.both_backends  # the page on PostgreSQL too
def test_labeling_page_works_on_defaults_and_a_lead_is_told_once(ui_project, db, sign_in_app):
    with write_transaction(db):
        db.execute(BAD_SETTINGS)
    at = sign_in_app("ann")
    assert not at.exception and len(at.text) == 1  # a text to label
    assert not at.warning  # annotators cannot fix it; they are not bothered
    [b for b in at.button if b.label == "billing"][0].click().run()
    assert not at.exception
    assert db.execute("SELECT COUNT(*) FROM labels").fetchone()[0] == 1

    lead = sign_in_app("lead")
    warned = [w.value for w in lead.warning]
    assert len(warned) == 1 and "overlap\\_fraction" in warned[0] and "read\\_pause\\_ms" in warned[0]
    lead.run()
    assert not lead.warning  # once per session
