"""AppTest for every lead page: renders for a lead, refused to an annotator and to a signed-out session."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest
from lead_helpers import VOTES, sign_in
from streamlit.testing.v1 import AppTest

from annotator.app import navigation
from annotator.services.auth import User
from annotator.services.labelset import get_labels
from annotator.services.settings import get_settings
from annotator.store.labels import label_history
from annotator.store.users import get_user

PAGES_DIR = Path(navigation.PAGES_DIR)
LEAD_PAGE_FILES = [spec.file for spec in navigation.LEAD_PAGES]
TITLES = {
    "lead_dashboard.py": "Dashboard", "lead_review.py": "Review", "lead_export.py": "Export",
    "lead_users.py": "Users", "lead_project.py": "Project",
}


@pytest.fixture
def app_env(team_project, monkeypatch):
    monkeypatch.setenv("LABELLOOP_PROJECT", str(team_project.path))
    return team_project


def page(file: str, user: str | None) -> AppTest:
    at = AppTest.from_file(str(PAGES_DIR / file), default_timeout=60)
    if user is not None:
        sign_in(at, os.environ["LABELLOOP_PROJECT"], user)
    return at.run()


def titles(at: AppTest) -> list[str]:
    return [t.value for t in at.title]


def test_every_lead_page_is_registered():
    assert sorted(LEAD_PAGE_FILES) == sorted(TITLES)
    assert all(spec.role == "lead" for spec in navigation.LEAD_PAGES)
    annotator_menu = navigation.pages_for(User("ann1", "annotator"))
    assert not {spec.file for spec in annotator_menu} & set(LEAD_PAGE_FILES)
    lead_menu = {spec.file for spec in navigation.pages_for(User("lead", "lead"))}
    assert set(LEAD_PAGE_FILES) <= lead_menu


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
    # the annotator's navigation does not even register the lead pages
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(str(PAGES_DIR / "lead_dashboard.py"))
    assert "Dashboard" not in titles(at)


def test_demoted_lead_is_refused_at_the_next_run(app_env):
    from annotator.store.users import update_user

    at = page("lead_dashboard.py", "lead")
    assert titles(at) == ["Dashboard"]
    update_user(app_env.db, "lead", role="annotator")
    at.run()
    assert titles(at) == []


def test_dashboard_shows_agreement_numbers(app_env):
    at = page("lead_dashboard.py", "lead")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Pool"] == "20" and metrics["Labeled"] == "7"
    assert metrics["Krippendorff's α (nominal)"] not in ("–", "")


def test_review_adjudicates_a_disagreement(app_env):
    ids = app_env.ids
    at = page("lead_review.py", "lead")
    keys = [b.key for b in at.button]
    assert f"ll_adj_{ids[1]}_neg" in keys and f"ll_adj_{ids[2]}_neutral" in keys
    at.button(key=f"ll_adj_{ids[1]}_neg").click().run()
    assert not at.exception
    assert [s.value.replace("\\", "") for s in at.success][0].startswith(f"Item {ids[1]}: final label set to neg")
    history = label_history(app_env.db, ids[1])
    assert [(r["kind"], r["label"], r["annotator"]) for r in history][-1] == ("adjudication", "neg", "lead")
    assert f"ll_adj_{ids[1]}_neg" not in [b.key for b in at.button]


def test_review_without_embeddings_says_so(app_env):
    at = page("lead_review.py", "lead")
    at.button(key="ll_review_run").click().run()
    assert not at.exception
    assert any("no cached pool embeddings" in i.value for i in at.info)


def test_review_finds_and_fixes_a_suspected_error(project, tmp_path, monkeypatch):
    import numpy as np
    from lead_helpers import add_texts, add_users

    from annotator.services.training.embeddings import save_embeddings
    from annotator.store.labels import add_label

    rng = np.random.default_rng(0)
    names = ["pos", "neg", "neutral"]
    truth = [names[i % 3] for i in range(36)]
    X = np.eye(8)[[names.index(t) for t in truth]] * 6 + rng.normal(scale=0.5, size=(36, 8))
    ids = add_texts(project, [f"review text {i}" for i in range(36)], tmp_path)
    add_users(project)
    given = list(truth)
    given[4] = "pos"  # truly neg
    for example_id, label in zip(ids, given):
        add_label(project.db, example_id, label, "ann1")
    save_embeddings(project.path, 0, ids, X)
    monkeypatch.setenv("LABELLOOP_PROJECT", str(project.path))
    at = page("lead_review.py", "lead")
    at.button(key="ll_review_run").click().run()
    assert not at.exception
    fix = f"ll_fix_{ids[4]}_neg"
    assert fix in [b.key for b in at.button]
    at.button(key=fix).click().run()
    assert label_history(project.db, ids[4])[-1]["kind"] == "adjudication"
    assert fix not in [b.key for b in at.button]


def test_review_button_from_a_demoted_lead_does_nothing(app_env):
    from annotator.store.users import update_user

    ids = app_env.ids
    at = page("lead_review.py", "lead")
    update_user(app_env.db, "lead", role="annotator")
    at.button(key=f"ll_adj_{ids[1]}_neg").click().run()
    assert all(r["kind"] != "adjudication" for r in label_history(app_env.db, ids[1]))


def test_export_prepares_the_final_labels(app_env):
    at = page("lead_export.py", "lead")
    assert any("no model yet" in i.value for i in at.info)
    at.button(key="ll_export_prepare").click().run()
    prepared = at.session_state["ll_export_file"]
    assert prepared["rows"] == 7
    rows = list(csv.DictReader(io.StringIO(prepared["bytes"].decode("utf-8"))))
    assert {int(r["example_id"]) for r in rows} == {app_env.ids[i] for i in range(7)}
    at.radio(key="ll_export_which").set_value("raw").run()
    at.button(key="ll_export_prepare").click().run()
    assert at.session_state["ll_export_file"]["rows"] == sum(len(v) for v in VOTES.values())


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


def test_project_page_settings_labels_and_eval_set(app_env):
    at = page("lead_project.py", "lead")
    at.number_input(key="ll_project_batch_size").set_value(0)
    [b for b in at.button if b.label == "Save settings"][0].click().run()
    assert "batch_size" in at.error[0].value.replace("\\", "")
    assert get_settings(app_env.db).batch_size == 25
    at.number_input(key="ll_project_batch_size").set_value(40)
    at.selectbox(key="ll_project_strategy").set_value("entropy")
    at.number_input(key="ll_project_read_pause").set_value(400)
    [b for b in at.button if b.label == "Save settings"][0].click().run()
    saved = get_settings(app_env.db)
    assert (saved.batch_size, saved.strategy, saved.read_pause_ms) == (40, "entropy", 400)
    at.text_input(key="ll_project_new_label").input("mixed")
    [b for b in at.button if b.label == "Add label"][0].click().run()
    assert get_labels(app_env.db) == ["pos", "neg", "neutral", "mixed"]
    [b for b in at.button if b.label == "Import"][0].click().run()
    assert at.error[0].value == "choose a file to import first"
    at.number_input(key="ll_project_eval_size").set_value(4)
    [b for b in at.button if b.label == "Reserve"][0].click().run()
    assert at.success[0].value == "Reserved 4 evaluation items."


@pytest.mark.parametrize("file", sorted(TITLES))
def test_page_renders_on_an_empty_project(project, monkeypatch, file):
    from lead_helpers import add_users

    add_users(project)
    monkeypatch.setenv("LABELLOOP_PROJECT", str(project.path))
    at = page(file, "lead")
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert titles(at) == [TITLES[file]]
