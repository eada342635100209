"""Fixtures of the service tests: sample rows in every format, a pool to serve, a project with a model."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.pool import add_pool, gold_rows
from tests.helpers.team import add_texts, gold

SAMPLE = [
    {"id": "a1", "text": "The invoice shows a double charge", "label": "neg", "source_app": "mail"},
    {"id": "a2", "text": "Great service, thank you!", "label": "pos", "source_app": "chat"},
    {"id": "a3", "text": "My parcel arrived today", "label": "neutral", "source_app": "chat"},
    {"id": "a4", "text": "Great service,   thank you! ", "label": "neg", "source_app": "mail"},
]


@pytest.fixture
def sample_rows() -> list[dict[str, Any]]:
    """Four rows; the fourth repeats the second's text (other spacing) with another label."""
    return [dict(row) for row in SAMPLE]


@pytest.fixture
def pool_project(project, tmp_path):
    """The shared ``project`` with 60 unlabeled examples."""
    add_pool(project, tmp_path, gold_rows(60))
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
