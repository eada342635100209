"""annotator.services.sessions: a sign-in that survives a reload, ended by the server at once."""

from __future__ import annotations

import pytest

from annotator.services.auth import User
from annotator.services.passwords import TEST_ONLY_COST
from annotator.services.sessions import end_session, resume_session, session_user, start_session, token_hash
from annotator.services.settings import set_settings
from annotator.services.users import add_user, change_user, remove_user


@pytest.fixture
def users(project):
    add_user(project.db, "lead", "lead", "password-1", cost=TEST_ONLY_COST)
    add_user(project.db, "ann", "annotator", "password-1", cost=TEST_ONLY_COST)
    return project


def _user(project, name: str) -> User:
    row = project.db.execute("SELECT role, credential_stamp FROM users WHERE name = ?", (name,)).fetchone()
    return User(name, row[0], row[1])


def test_a_session_comes_back_from_its_token_and_only_its_hash_is_stored(users):
    token = start_session(users, _user(users, "ann"), client="10.0.0.7")
    assert len(token) >= 40
    assert session_user(users, token) == User("ann", "annotator")
    assert resume_session(users, token) == User("ann", "annotator")
    stored = users.db.execute('SELECT token_hash, "user", client FROM sessions').fetchall()
    assert stored == [(token_hash(token), "ann", "10.0.0.7")]
    assert token not in str(stored)
    for forged in (None, "", token[:-1], token + "x", "x" * 5000):
        assert session_user(users, forged) is None


def test_signing_out_ends_the_session_in_every_tab_that_shares_it(users):
    token = start_session(users, _user(users, "ann"))
    other = start_session(users, _user(users, "ann"))  # another browser
    assert end_session(users, token)
    assert session_user(users, token) is None
    assert session_user(users, other) == User("ann", "annotator")


def test_a_session_expires(users):
    set_settings(users.db, session_hours=2)
    token = start_session(users, _user(users, "ann"), now=1_000_000.0)
    assert session_user(users, token, now=1_000_000.0 + 2 * 3600 - 1) is not None
    assert session_user(users, token, now=1_000_000.0 + 2 * 3600) is None


@pytest.mark.parametrize("change", [
    lambda db: change_user(db, "ann", password="password-2"),
    lambda db: change_user(db, "ann", role="lead"),
    lambda db: remove_user(db, "ann"),
])
def test_a_password_reset_a_role_change_or_a_deactivation_ends_every_session_at_once(users, change):
    tokens = [start_session(users, _user(users, "ann")) for _ in range(2)]
    lead = start_session(users, _user(users, "lead"))
    change(users.db)
    assert all(session_user(users, token) is None for token in tokens)
    assert users.db.execute("SELECT COUNT(*) FROM sessions WHERE user = 'ann'").fetchone()[0] == 0
    assert session_user(users, lead) is not None


def test_a_lead_changing_their_own_password_keeps_the_session_they_did_it_in(users):
    here, elsewhere = (start_session(users, _user(users, "lead")) for _ in range(2))
    change_user(users.db, "lead", password="password-2", acting="lead", keep_session=here)
    assert session_user(users, here) == User("lead", "lead")
    assert session_user(users, elsewhere) is None
    # another lead's token is never "kept" by someone else's change
    add_user(users.db, "lead2", "lead", "password-1", cost=TEST_ONLY_COST)
    theirs = start_session(users, _user(users, "lead2"))
    change_user(users.db, "lead2", password="password-3", acting="lead", keep_session=theirs)
    assert session_user(users, theirs) is None


def test_a_stamp_changed_behind_the_sessions_back_still_ends_it(users):
    """Even a change made without the service (an older version's CLI) ends the session at its next use."""
    from annotator.store.users import update_user

    token = start_session(users, _user(users, "ann"))
    update_user(users.db, "ann", role="annotator")  # store only: the session row stays, the stamp moves on
    assert session_user(users, token) is None
