"""annotator.services.training.finetune with the tiny BERT: the fine-tuned version's predictor is the head
a refresh on the new encoder would fit, the label-name prior included when it is on."""

from __future__ import annotations

import numpy as np
import pytest

from annotator.services import queue
from annotator.services.settings import set_settings
from annotator.store.versions import current_version
from tests.helpers.pool import add_pool, gold_rows


@pytest.mark.parametrize("label_prior", ["on", "off"])
def test_the_fine_tuned_head_is_the_head_a_refresh_on_the_new_encoder_fits(project, tmp_path, tiny_model_dir,
                                                                            label_prior):
    from annotator.services.training.finetune import finetune
    from annotator.services.training.models import load_models
    from annotator.services.training.refresh import refresh

    set_settings(project.db, model=str(tiny_model_dir), label_prior=label_prior, finetune_min_per_class=2,
                 finetune_min_steps=10, max_length=32, batch_size=5)
    rows = gold_rows(40)
    add_pool(project, tmp_path, rows)
    answers = {row["text"]: row["label"] for row in rows}
    models = load_models(project)
    refresh(project, models)
    saved = 0
    while saved < 8:  # two of the three labels: 'neutral' is left to the prior, when it is on
        item = queue.next_item(project, "ann")
        if answers[item.text] == "neutral":
            queue.skip(project, "ann", item.example_id)
            continue
        queue.save_label(project, "ann", item.example_id, answers[item.text])
        saved += 1

    tuned = finetune(project, models)
    assert current_version(project.db)["version"] == tuned.version
    # the next refresh, on the new encoder with the same labels, fits the same head
    again = refresh(project, models)
    assert again.kind == "head" and models.encoder_version == tuned.version
    X = np.asarray(models.encoder.embed([row["text"] for row in rows[:10]]))
    assert np.allclose(tuned.head.predict_proba(X), again.head.predict_proba(X), atol=1e-4)
    assert tuned.metrics["label_prior"] is (label_prior == "on")
    assert (tuned.head.prior is not None) is (label_prior == "on")
