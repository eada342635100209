"""is_project: a folder is a project on either backend, whatever file names its database."""

from __future__ import annotations

import pytest

from annotator.services.projects import create_project, is_project

pytestmark = pytest.mark.both_backends


def test_a_new_project_is_a_project_and_an_empty_folder_is_not(tmp_path, database_url):
    folder = tmp_path / "proj"
    assert not is_project(folder)
    folder.mkdir()
    assert not is_project(folder)
    create_project(folder, ["a", "b"], database_url=database_url).close()
    assert is_project(folder)
    assert (folder / "project.db").is_file() == (database_url is None)
