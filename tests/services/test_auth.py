"""annotator.services.auth: one failure message, throttling per (name, client), per client and per name
across connections, the credential stamp, roles."""

from __future__ import annotations

import threading

import pytest

from annotator.errors import AuthError
from annotator.services import auth
from annotator.services.passwords import STRONG, TEST_ONLY_COST, hash_password, needs_rehash, verify_password
from annotator.services.projects import open_project
from annotator.services.users import remove_user
from annotator.store.logins import throttle_records
from annotator.store.users import get_user, insert_user, update_user


def _hash(password: str) -> str:
    return hash_password(password, cost=TEST_ONLY_COST)


@pytest.fixture
def users(project):
    insert_user(project.db, "lead", "lead", _hash("lead-pass"))
    insert_user(project.db, "ann", "annotator", _hash("ann-pass"))
    insert_user(project.db, "gone", "annotator", _hash("gone-pass"))
    update_user(project.db, "gone", active=False)
    insert_user(project.db, "nohash", "annotator", None)
    return project


def _fail(project, name, *, client="evil", now, password="bad") -> None:
    with pytest.raises(AuthError, match="Wrong"):
        auth.sign_in(project, name, password, client=client, now=now)


def test_sign_in_returns_user_with_role(users):
    user = auth.sign_in(users, "ann", "ann-pass")
    assert user == auth.User("ann", "annotator")
    assert user.stamp == get_user(users.db, "ann")["credential_stamp"] != ""
    assert auth.sign_in(users, "lead", "lead-pass").is_lead


@pytest.mark.parametrize(
    "name,password",
    [("ann", "wrong"), ("nobody", "ann-pass"), ("gone", "gone-pass"), ("nohash", ""), ("", "x")],
)
def test_every_failure_has_the_same_message(users, name, password):
    with pytest.raises(AuthError) as caught:
        auth.sign_in(users, name, password)
    assert str(caught.value) == auth.SIGN_IN_FAILED


def test_failures_lock_the_name_for_that_client_across_connections(users):
    now = 1_000_000.0
    for i in range(auth.FREE_FAILURES):
        _fail(users, "ann", now=now + i)
    _fail(users, "ann", now=now + 10)  # 5th failure: locks the pair for 5 s
    # Another process (a second connection) sees the lock, even with the right password.
    with open_project(users.path) as other:
        with pytest.raises(auth.SignInThrottled) as caught:
            auth.sign_in(other, "ann", "ann-pass", client="evil", now=now + 11)
        assert 3 < caught.value.seconds_left <= 4
    # After the lock the right password works and clears the pair's count.
    assert auth.sign_in(users, "ann", "ann-pass", client="evil", now=now + 16).name == "ann"
    _fail(users, "ann", now=now + 17)
    assert auth.sign_in(users, "ann", "ann-pass", client="evil", now=now + 18).name == "ann"


def test_parallel_guesses_are_each_counted_before_any_password_check(users):
    """Forty wrong guesses at once: only the free ones and the one that sets the lock are checked."""
    now, attempts = 1_500_000.0, 40
    outcomes: list[str] = []
    start = threading.Barrier(attempts)

    def guess() -> None:
        with open_project(users.path) as own:  # each browser session has its own connection
            start.wait()
            try:
                auth.sign_in(own, "ann", "bad", client="evil", now=now)
            except auth.SignInThrottled:
                outcomes.append("throttled")
            except AuthError:
                outcomes.append("checked")

    threads = [threading.Thread(target=guess) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert outcomes.count("checked") == auth.FREE_FAILURES + 1
    assert outcomes.count("throttled") == attempts - auth.FREE_FAILURES - 1


def test_a_strangers_failures_do_not_lock_the_owner_out_nor_get_erased_by_the_owner(users):
    now = 2_000_000.0
    for i in range(auth.FREE_FAILURES + 1):
        _fail(users, "ann", now=now + i * 0.001)
    with pytest.raises(auth.SignInThrottled):
        auth.sign_in(users, "ann", "ann-pass", client="evil", now=now + 1)
    # The owner, from their own address, signs in at once ...
    assert auth.sign_in(users, "ann", "ann-pass", client="10.0.0.7", now=now + 1).name == "ann"
    # ... and that does not clear the stranger's record.
    with pytest.raises(auth.SignInThrottled):
        auth.sign_in(users, "ann", "ann-pass", client="evil", now=now + 2)


def test_unknown_names_are_locked_too_and_locks_grow(users):
    now = 3_000_000.0
    for i in range(auth.FREE_FAILURES + 2):
        t = now + i * 1000  # past each lock, within the forget window
        _fail(users, "mallory", password="x", now=t)
    with pytest.raises(auth.SignInThrottled):
        auth.sign_in(users, "mallory", "x", client="evil", now=t + 9)
    assert auth.lock_seconds(auth.FREE_FAILURES) == 0
    assert auth.lock_seconds(auth.FREE_FAILURES + 1) == auth.FIRST_LOCK_SECONDS
    assert auth.lock_seconds(auth.FREE_FAILURES + 2) == 2 * auth.FIRST_LOCK_SECONDS
    assert auth.lock_seconds(10**6) == auth.MAX_LOCK_SECONDS


def test_one_client_trying_many_names_is_locked_for_every_name(users):
    now = 4_000_000.0
    names = [f"user{i}" for i in range(auth.CLIENT_FREE_FAILURES + 1)]
    for name in names:  # real users: an unknown name costs a full-strength check
        insert_user(users.db, name, "annotator", _hash("their-pass"))
    for i, name in enumerate(names):  # one guess per name: no pair ever reaches its limit
        _fail(users, name, password="x", now=now + i * 0.001)
    with pytest.raises(auth.SignInThrottled, match="from this address"):
        auth.sign_in(users, "ann", "ann-pass", client="evil", now=now + 1)
    assert auth.sign_in(users, "ann", "ann-pass", client="10.0.0.7", now=now + 1).name == "ann"


def test_guesses_from_many_clients_slow_a_name_but_never_lock_it(users):
    now = 5_000_000.0
    auth.sign_in(users, "ann", "ann-pass", client="10.0.0.7", now=now)  # the owner's usual client
    update_user(users.db, "ann", password_hash=_hash("ann-pass"))  # a cheap hash again: 30 checks follow
    step = auth.NAME_MAX_WAIT_SECONDS + 0.01  # each bot waits out the name's wait: failures pile up
    for i in range(auth.NAME_FREE_FAILURES + 20):
        t = now + 1 + i * step
        _fail(users, "ann", client=f"bot{i}", now=t)
    with pytest.raises(auth.SignInThrottled, match="just now") as caught:
        auth.sign_in(users, "ann", "ann-pass", client="a-new-laptop", now=t + 0.01)
    assert 0 < caught.value.seconds_left <= auth.NAME_MAX_WAIT_SECONDS
    # a short wait, not a lock-out; the client that signed in before is not even slowed
    assert auth.sign_in(users, "ann", "ann-pass", client="10.0.0.7", now=t + 0.01).name == "ann"
    assert auth.sign_in(
        users, "ann", "ann-pass", client="a-new-laptop", now=t + auth.NAME_MAX_WAIT_SECONDS
    ).name == "ann"
    assert auth.scope_lock_seconds("name", 10**6) == auth.NAME_MAX_WAIT_SECONDS


def test_old_failures_are_forgotten_and_their_records_pruned(users):
    now = 6_000_000.0
    for i in range(auth.FREE_FAILURES):
        _fail(users, "ann", now=now + i)
    later = now + auth.FORGET_AFTER_SECONDS + 100
    _fail(users, "someone-else", now=later)
    assert {r["name"] for r in throttle_records(users.db)} == {"someone-else", ""}  # ann's are gone
    _fail(users, "ann", now=later)  # counts as the first again: no lock
    assert auth.sign_in(users, "ann", "ann-pass", client="evil", now=later + 1).name == "ann"


def test_a_weak_hash_is_replaced_by_a_strong_one_on_sign_in(users):
    old = get_user(users.db, "ann")
    assert needs_rehash(old["password_hash"])
    user = auth.sign_in(users, "ann", "ann-pass")
    new = get_user(users.db, "ann")
    assert not needs_rehash(new["password_hash"]) and new["password_hash"].startswith(f"scrypt${STRONG.n}$")
    assert verify_password("ann-pass", new["password_hash"])
    assert new["credential_stamp"] == old["credential_stamp"] == user.stamp  # not a credential change
    assert auth.current_user(users, "ann", user.stamp) == user


def test_a_session_is_void_once_password_role_or_status_changes(users):
    changes = {
        "password": lambda: update_user(users.db, "ann", password_hash=_hash("new-password")),
        "role": lambda: update_user(users.db, "ann", role="lead"),
        "deactivated": lambda: remove_user(users.db, "ann"),
        "reactivated": lambda: update_user(users.db, "ann", active=True),
    }
    for what, change in changes.items():
        stamp = get_user(users.db, "ann")["credential_stamp"]
        change()
        assert get_user(users.db, "ann")["credential_stamp"] != stamp, what
        assert auth.current_user(users, "ann", stamp) is None, what
    stamp = get_user(users.db, "ann")["credential_stamp"]
    assert auth.current_user(users, "ann", stamp) == auth.User("ann", "lead")
    assert auth.current_user(users, "ann", None) is None
    assert auth.current_user(users, "ann", "") is None


def test_roles_and_current_user(users):
    lead, ann = auth.User("lead", "lead"), auth.User("ann", "annotator")
    assert auth.require_role(lead, "lead") is lead
    assert auth.require_role(lead, "annotator") is lead
    assert auth.require_role(ann, "annotator") is ann
    with pytest.raises(AuthError, match="lead role"):
        auth.require_role(ann, "lead")
    with pytest.raises(AuthError):
        auth.require_role(None, "annotator")
    stamp = get_user(users.db, "ann")["credential_stamp"]
    assert auth.current_user(users, "ann", stamp) == ann
    assert auth.current_user(users, "gone", get_user(users.db, "gone")["credential_stamp"]) is None
    assert auth.current_user(users, "nobody", stamp) is None
