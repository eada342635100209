"""Fixtures shared by every test folder: a fresh project, a tiny local BERT, a team with overlapping
labels, and the app's project with users and its AppTest helpers (streamlit is imported only by those)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from annotator.services.projects import create_project, open_project
from tests.helpers.team import VOTES, add_texts, add_users


@pytest.fixture(autouse=True)
def _main_module_restored():
    """Streamlit's AppTest leaves the app's main.py as ``sys.modules["__main__"]``; a process the
    next test spawns (multiprocessing's spawn re-imports ``__main__`` by path) would then run the
    app. Each test ends with the ``__main__`` it started with."""
    main = sys.modules.get("__main__")
    yield
    if main is not None:
        sys.modules["__main__"] = main

BACKENDS = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A module or test marked ``both_backends`` runs once per backend wherever it uses ``backend``
    (through ``project``, ``database_url``...); every other test runs on SQLite only."""
    if "backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_backends"):
        metafunc.parametrize("backend", BACKENDS, indirect=True)


@pytest.fixture(scope="session")
def postgres_server():
    """One PostgreSQL server for the test session (tests.helpers.postgres); each project is a schema in it."""
    from tests.helpers.postgres import binaries_missing, start_server

    reason = binaries_missing()
    if reason is not None:
        pytest.skip(reason)
    server = start_server()
    yield server
    server.stop()


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """The project database's backend: ``sqlite`` unless the test is marked ``both_backends``, or
    ``$LABELLOOP_TEST_BACKEND`` (``postgresql``: every test's ``project`` fixture on PostgreSQL)."""
    return getattr(request, "param", os.environ.get("LABELLOOP_TEST_BACKEND", "sqlite"))


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest) -> str | None:
    """create_project's ``database_url`` for ``backend``: None (project.db) or the test server's URL."""
    if backend == "sqlite":
        return None
    return request.getfixturevalue("postgres_server").url


@pytest.fixture
def project(tmp_path: Path, database_url: str | None):
    """A new project folder in tmp_path with the labels pos, neg, neutral (on ``backend``)."""
    with create_project(tmp_path / "proj", ["pos", "neg", "neutral"], database_url=database_url) as opened:
        yield opened


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny BERT (WordPiece tokenizer + 2-layer config) built locally once per session."""
    from benchmarks.tiny_bert import build_tiny_bert

    return build_tiny_bert(tmp_path_factory.mktemp("tiny") / "tiny-bert")


@pytest.fixture
def team_project(project, tmp_path):
    """The shared ``project`` with 20 texts, a lead, three annotators and the VOTES labels."""
    from annotator.store.labels import add_label

    ids = add_texts(project, [f"text number {i}" for i in range(20)], tmp_path)
    add_users(project)
    for index, votes in VOTES.items():
        for annotator, label in votes.items():
            add_label(project.db, ids[index], label, annotator, seconds=float(3 + index))
    project.ids = ids
    return project


@pytest.fixture
def ui_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str | None) -> Path:
    """The app's project (on ``backend``): three labels, a lead and an annotator, the sample texts."""
    from tests.helpers.app import make_ui_project

    folder = make_ui_project(tmp_path / "uiproj", ["billing", "shipping", "technical"], database_url=database_url)
    monkeypatch.setenv("LABELLOOP_PROJECT", str(folder))
    return folder


@pytest.fixture
def db(ui_project: Path):
    with open_project(ui_project) as project:
        yield project.db


@pytest.fixture
def project_factory():
    """make_ui_project(folder, labels, texts=TEXTS) -> folder, for tests that need other labels or texts."""
    from tests.helpers.app import make_ui_project

    return make_ui_project


@pytest.fixture
def sign_in_app():
    """signed_in(name, password=None) -> AppTest after the sign-in form was submitted."""
    from tests.helpers.app import signed_in

    return signed_in


@pytest.fixture
def fresh_app():
    from tests.helpers.app import new_app

    return new_app
