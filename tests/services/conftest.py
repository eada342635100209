"""Fixtures for the lead features: a project with a lead, three annotators and overlapping labels."""

from __future__ import annotations

import pytest
from lead_helpers import VOTES, add_texts, add_users, gold

from annotator.store.labels import add_label


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


@pytest.fixture
def modelled(project, tmp_path, tiny_model_dir):
    """A project with 45 pool texts, 9 labeled evaluation texts, 15 labels and one published head version."""
    from annotator.services import queue
    from annotator.services.settings import set_settings
    from annotator.services.training.models import load_models
    from annotator.services.training.refresh import refresh
    from annotator.store.labels import add_label

    set_settings(project.db, model=str(tiny_model_dir), finetune_min_per_class=2, max_length=32)
    pool, evals = gold(45), gold(9, offset=100)
    add_texts(project, [t for t, _ in pool], tmp_path)
    for example_id, (_, label) in zip(add_texts(project, [t for t, _ in evals], tmp_path, eval_set=True), evals):
        add_label(project.db, example_id, label, "import", kind="import")
    answers = dict(pool)
    for _ in range(15):
        item = queue.next_item(project, "ann")
        queue.save_label(project, "ann", item.example_id, answers[item.text])
    project.models = load_models(project)
    project.version = refresh(project, project.models).version
    project.pool, project.evals = pool, evals
    return project
