"""The sign-in page: one message for every failure, throttled, and the labeling page after it."""

from __future__ import annotations

from annotator.services import auth
from tests.helpers.app import shown_text


def test_sign_in_shows_the_labeling_page(ui_project, sign_in_app):
    at = sign_in_app("ann")
    assert not at.exception
    assert not at.error
    assert shown_text(at)
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
