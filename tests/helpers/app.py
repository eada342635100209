"""The app under AppTest: a small project with users, signing in, pressing buttons, running a page."""

from __future__ import annotations

import csv
import os
from pathlib import Path

from streamlit.testing.v1 import AppTest

from annotator.app import navigation
from annotator.services.auth import User
from annotator.services.imports import import_file
from annotator.services.passwords import TEST_ONLY_COST, hash_password
from annotator.services.projects import create_project, open_project
from annotator.services.ranking import publish_random_ranking
from annotator.services.sessions import start_session
from annotator.store.users import get_user, insert_user

APP_MAIN = Path(__file__).resolve().parents[2] / "annotator" / "app" / "main.py"
PASSWORDS = {"lead": "lead-pass", "ann": "ann-pass"}
TEXTS = [
    "The invoice charged me twice",
    "My parcel never arrived",
    "<script>alert('x')</script> **bold** # heading",
    "App crashes on start",
    "Please delete my account",
    "Great service, thanks",
]

# the lead pages and the title each shows
PAGES_DIR = Path(navigation.PAGES_DIR)
LEAD_PAGE_FILES = [spec.file for spec in navigation.LEAD_PAGES]
TITLES = {
    "lead_dashboard.py": "Dashboard", "lead_review.py": "Review", "lead_export.py": "Export",
    "lead_users.py": "Users", "lead_project.py": "Project",
}


def make_ui_project(folder: Path, labels: list[str], texts: list[str] = TEXTS, *, multi_label: bool = False,
                    database_url: str | None = None) -> Path:
    """A project the app can serve: a lead, an annotator, the texts, a random ranking (on PostgreSQL when
    ``database_url`` is given)."""
    with create_project(folder, labels, multi_label=multi_label, database_url=database_url) as project:
        # a cheap hash for speed; the first sign-in replaces it with a strong one
        insert_user(project.db, "lead", "lead", hash_password(PASSWORDS["lead"], cost=TEST_ONLY_COST))
        insert_user(project.db, "ann", "annotator", hash_password(PASSWORDS["ann"], cost=TEST_ONLY_COST))
        pool = folder / "pool.csv"
        with pool.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", "text"])
            writer.writerows([(f"t{i}", text) for i, text in enumerate(texts)])
        import_file(project, pool, id_column="id")
        publish_random_ranking(project)  # what the worker publishes as soon as it starts
    return folder


def new_app() -> AppTest:
    return AppTest.from_file(str(APP_MAIN), default_timeout=30)


def signed_in(name: str, password: str | None = None) -> AppTest:
    """An AppTest after submitting the sign-in form (and its rerun)."""
    at = new_app().run()
    at.text_input(key="ll_sign_in_name").input(name)
    at.text_input(key="ll_sign_in_password").input(password if password is not None else PASSWORDS[name])
    at.button[0].click().run()
    return at


def session_token(project_dir, name: str) -> str:
    """A new sign-in session of ``name`` (as the sign-in page starts one); its token."""
    with open_project(project_dir) as opened:
        user = get_user(opened.db, name)
        return start_session(opened, User(name, user["role"], user["credential_stamp"]))


def sign_in(at, project_dir, name: str):
    """Put ``name`` in an AppTest's session as if signed in (a new session under their current credentials)."""
    at.session_state["ll_token"] = session_token(project_dir, name)
    at.session_state["ll_user"] = name
    return at


def button(at, label: str):
    """The first button with this label (failing with the labels there are)."""
    matches = [b for b in at.button if b.label == label]
    assert matches, [b.label for b in at.button]
    return matches[0]


def page(file: str, user: str | None) -> AppTest:
    """A lead page run on its own (the project from $LABELLOOP_PROJECT), as ``user`` or signed out."""
    at = AppTest.from_file(str(PAGES_DIR / file), default_timeout=60)
    if user is not None:
        sign_in(at, os.environ["LABELLOOP_PROJECT"], user)
    return at.run()


def titles(at: AppTest) -> list[str]:
    """The page titles an AppTest shows."""
    return [t.value for t in at.title]


def label_rows(db, annotator="ann"):
    """The label rows ``annotator`` wrote, oldest first, with their provenance columns."""
    cursor = db.execute(
        "SELECT example_id, label, annotator, seconds, model_version, strategy, score, "
        "superseded, superseded_reason FROM labels WHERE annotator = ? ORDER BY id", (annotator,)
    )
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def shown_text(at) -> str:
    """The one text on the labeling page."""
    assert len(at.text) == 1, [t.value for t in at.text]
    return at.text[0].value
