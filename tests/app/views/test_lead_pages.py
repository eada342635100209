"""AppTest for every lead page: renders for a lead, refused to an annotator and to a signed-out session."""

from __future__ import annotations

import pytest

from tests.helpers.app import TITLES, page, titles


@pytest.mark.both_backends  # the page on PostgreSQL too
@pytest.mark.parametrize("file", sorted(TITLES))
def test_page_renders_for_a_lead(app_env, file):
    at = page(file, "lead")
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert titles(at) == [TITLES[file]]


@pytest.mark.parametrize("file", sorted(TITLES))
def test_page_refuses_an_annotator(app_env, file):
    at = page(file, "ann1")
    assert not at.exception
    assert [e.value for e in at.error] == ["This page needs the lead role; you are signed in as annotator."]
    assert titles(at) == []
    assert not at.button and not at.metric and not at.dataframe


@pytest.mark.parametrize("file", sorted(TITLES))
def test_page_refuses_a_signed_out_session(app_env, file):
    at = page(file, None)
    assert [w.value for w in at.warning] == ["Sign in first."]
    assert titles(at) == []


def test_demoted_lead_is_refused_at_the_next_run(app_env):
    from annotator.store.users import update_user

    at = page("lead_dashboard.py", "lead")
    assert titles(at) == ["Dashboard"]
    update_user(app_env.db, "lead", role="annotator")
    at.run()
    assert titles(at) == []


@pytest.mark.both_backends  # the page on PostgreSQL too
@pytest.mark.parametrize("file", sorted(TITLES))
def test_page_renders_on_an_empty_project(project, monkeypatch, file):
    from tests.helpers.team import add_users

    add_users(project)
    monkeypatch.setenv("LABELLOOP_PROJECT", str(project.path))
    at = page(file, "lead")
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert titles(at) == [TITLES[file]]
