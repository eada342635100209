"""Fixtures of the app tests: the team project as the app's project."""

from __future__ import annotations

import pytest


@pytest.fixture
def app_env(team_project, monkeypatch):
    """The team project as the app's project ($LABELLOOP_PROJECT)."""
    monkeypatch.setenv("LABELLOOP_PROJECT", str(team_project.path))
    return team_project
