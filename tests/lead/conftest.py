"""Fixtures for the lead features: a project with a lead, three annotators and overlapping labels."""

from __future__ import annotations

import pytest

from annotator.store.labels import add_label
from lead_helpers import VOTES, add_texts, add_users


@pytest.fixture
def team_project(project, tmp_path):
    """The shared ``project`` with 20 texts, a lead, three annotators and the VOTES labels."""
    ids = add_texts(project, [f"text number {i}" for i in range(20)], tmp_path)
    add_users(project)
    for index, votes in VOTES.items():
        for annotator, label in votes.items():
            add_label(project.db, ids[index], label, annotator, seconds=float(3 + index))
    project.ids = ids
    return project
