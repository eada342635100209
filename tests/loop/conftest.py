"""Fixtures of the loop tests: projects with a small pool, written through the importer."""

from __future__ import annotations

import pytest
from loop_helpers import add_pool, gold_rows


@pytest.fixture
def pool_project(project, tmp_path):
    """The shared ``project`` with 60 unlabeled examples."""
    add_pool(project, tmp_path, gold_rows(60))
    return project
