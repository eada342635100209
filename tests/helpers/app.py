"""Fixtures of the UI tests: a small project with users, and AppTest helpers."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from annotator.services.imports import import_file
from annotator.services.passwords import TEST_ONLY_COST, hash_password
from annotator.services.projects import create_project, open_project
from annotator.store.users import insert_user

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


def make_ui_project(folder: Path, labels: list[str], texts: list[str] = TEXTS) -> Path:
    with create_project(folder, labels) as project:
        # a cheap hash for speed; the first sign-in replaces it with a strong one
        insert_user(project.db, "lead", "lead", hash_password(PASSWORDS["lead"], cost=TEST_ONLY_COST))
        insert_user(project.db, "ann", "annotator", hash_password(PASSWORDS["ann"], cost=TEST_ONLY_COST))
        pool = folder / "pool.csv"
        with pool.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", "text"])
            writer.writerows([(f"t{i}", text) for i, text in enumerate(texts)])
        import_file(project, pool, id_column="id")
    return folder


@pytest.fixture
def ui_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = make_ui_project(tmp_path / "uiproj", ["billing", "shipping", "technical"])
    monkeypatch.setenv("LABELLOOP_PROJECT", str(folder))
    return folder


@pytest.fixture
def db(ui_project: Path):
    with open_project(ui_project) as project:
        yield project.db


def new_app() -> AppTest:
    return AppTest.from_file(str(APP_MAIN), default_timeout=30)


def signed_in(name: str, password: str | None = None) -> AppTest:
    """An AppTest after submitting the sign-in form (and its rerun)."""
    at = new_app().run()
    at.text_input(key="ll_sign_in_name").input(name)
    at.text_input(key="ll_sign_in_password").input(password if password is not None else PASSWORDS[name])
    at.button[0].click().run()
    return at


@pytest.fixture
def project_factory():
    """make_ui_project(folder, labels, texts=TEXTS) -> folder, for tests that need other labels or texts."""
    return make_ui_project


@pytest.fixture
def sign_in_app():
    """signed_in(name, password=None) -> AppTest after the sign-in form was submitted."""
    return signed_in


@pytest.fixture
def fresh_app():
    return new_app
