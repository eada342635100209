"""annotator.auth: one failure message, throttling per name across connections, roles."""

from __future__ import annotations

import pytest

from annotator import auth
from annotator.errors import AuthError
from annotator.passwords import hash_password
from annotator.store import open_project
from annotator.store.users import add_user, update_user


@pytest.fixture
def users(project):
    add_user(project.db, "lead", "lead", hash_password("lead-pass"))
    add_user(project.db, "ann", "annotator", hash_password("ann-pass"))
    add_user(project.db, "gone", "annotator", hash_password("gone-pass"))
    update_user(project.db, "gone", active=False)
    add_user(project.db, "nohash", "annotator", None)
    return project


def test_sign_in_returns_user_with_role(users):
    user = auth.sign_in(users, "ann", "ann-pass")
    assert user == auth.User("ann", "annotator")
    assert auth.sign_in(users, "lead", "lead-pass").is_lead


@pytest.mark.parametrize(
    "name,password",
    [("ann", "wrong"), ("nobody", "ann-pass"), ("gone", "gone-pass"), ("nohash", ""), ("", "x")],
)
def test_every_failure_has_the_same_message(users, name, password):
    with pytest.raises(AuthError) as caught:
        auth.sign_in(users, name, password)
    assert str(caught.value) == auth.SIGN_IN_FAILED


def test_failures_lock_the_name_across_connections(users):
    now = 1_000_000.0
    for i in range(auth.FREE_FAILURES):
        with pytest.raises(AuthError, match="Wrong"):
            auth.sign_in(users, "ann", "bad", now=now + i)
    with pytest.raises(AuthError, match="Wrong"):
        auth.sign_in(users, "ann", "bad", now=now + 10)  # 5th failure: locks for 5 s
    # Another process (a second connection) sees the lock, even with the right password.
    with open_project(users.path) as other:
        with pytest.raises(auth.SignInThrottled) as caught:
            auth.sign_in(other, "ann", "ann-pass", now=now + 11)
        assert 3 < caught.value.seconds_left <= 4
    # After the lock the right password works and clears the count.
    assert auth.sign_in(users, "ann", "ann-pass", now=now + 16).name == "ann"
    with pytest.raises(AuthError, match="Wrong"):
        auth.sign_in(users, "ann", "bad", now=now + 17)
    assert auth.sign_in(users, "ann", "ann-pass", now=now + 18).name == "ann"


def test_unknown_names_are_locked_too_and_locks_grow(users):
    now = 2_000_000.0
    for i in range(auth.FREE_FAILURES + 2):
        t = now + i * 1000  # past each lock, within the forget window
        with pytest.raises(AuthError, match="Wrong"):
            auth.sign_in(users, "mallory", "x", now=t)
    with pytest.raises(auth.SignInThrottled):
        auth.sign_in(users, "mallory", "x", now=t + 9)
    assert auth.lock_seconds(auth.FREE_FAILURES) == 0
    assert auth.lock_seconds(auth.FREE_FAILURES + 1) == auth.FIRST_LOCK_SECONDS
    assert auth.lock_seconds(auth.FREE_FAILURES + 2) == 2 * auth.FIRST_LOCK_SECONDS
    assert auth.lock_seconds(1000) == auth.MAX_LOCK_SECONDS


def test_old_failures_are_forgotten(users):
    now = 3_000_000.0
    for i in range(auth.FREE_FAILURES):
        with pytest.raises(AuthError):
            auth.sign_in(users, "ann", "bad", now=now + i)
    later = now + auth.FORGET_AFTER_SECONDS + 100
    with pytest.raises(AuthError, match="Wrong"):  # counts as the first again: no lock
        auth.sign_in(users, "ann", "bad", now=later)
    assert auth.sign_in(users, "ann", "ann-pass", now=later + 1).name == "ann"


def test_roles_and_current_user(users):
    lead, ann = auth.User("lead", "lead"), auth.User("ann", "annotator")
    assert auth.require_role(lead, "lead") is lead
    assert auth.require_role(lead, "annotator") is lead
    assert auth.require_role(ann, "annotator") is ann
    with pytest.raises(AuthError, match="lead role"):
        auth.require_role(ann, "lead")
    with pytest.raises(AuthError):
        auth.require_role(None, "annotator")
    assert auth.current_user(users, "ann") == ann
    assert auth.current_user(users, "gone") is None
    assert auth.current_user(users, "nobody") is None
