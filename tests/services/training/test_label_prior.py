"""annotator.services.training.label_prior: the label names as the head's prior, and the refresh that uses it."""

from __future__ import annotations

import numpy as np

from annotator.config import Settings
from annotator.services import queue
from annotator.services.settings import set_settings
from annotator.services.training.label_prior import AUTO_MIN_LABELS, name_text, prior_enabled, prior_of
from tests.helpers.pool import add_pool, gold_rows


def test_auto_is_on_from_ten_labels():
    labels = [f"intent_{i}" for i in range(20)]
    auto = Settings()
    assert auto.label_prior == "auto" and AUTO_MIN_LABELS == 10
    assert not prior_enabled(auto, labels[:9]) and prior_enabled(auto, labels[:10])
    assert prior_enabled(auto.changed(label_prior="on"), labels[:2])
    assert not prior_enabled(auto.changed(label_prior="off"), labels)


def test_a_label_name_is_embedded_as_words():
    assert name_text("Refund_not_showing_up") == "refund not showing up"
    assert name_text("ham") == "ham"


def test_prior_rows_follow_the_label_order_and_are_cached_per_encoder(tiny_model_dir):
    from learner.classifier import TransformerClassifier

    encoder = TransformerClassifier(model=str(tiny_model_dir))
    on = Settings().changed(label_prior="on")
    prior = prior_of(encoder, ["pos", "neg", "neutral"], on)
    assert prior.shape == (3, encoder.embed(["x"]).shape[1])
    assert np.allclose(prior[1], encoder.embed(["neg"])[0], atol=1e-5)
    assert prior_of(encoder, ["pos", "neg", "neutral"], on) is prior  # embedded once per encoder and label set
    swapped = prior_of(encoder, ["neg", "pos", "neutral"], on)
    assert np.allclose(swapped[0], prior[1], atol=1e-5)
    other = TransformerClassifier(model=str(tiny_model_dir))
    assert prior_of(other, ["pos", "neg", "neutral"], on) is not prior  # a new encoder embeds again
    assert prior_of(encoder, ["pos", "neg", "neutral"], Settings()) is None  # auto with three labels: off


def _label_first_batch(project, n: int, label: str) -> None:
    for _ in range(n):
        item = queue.next_item(project, "ann")
        queue.save_label(project, "ann", item.example_id, label)


def test_with_the_prior_a_head_is_published_after_the_first_batch(project, tmp_path, tiny_model_dir):
    from annotator.services.training.models import load_models
    from annotator.services.training.refresh import refresh
    from annotator.store.versions import current_version

    set_settings(project.db, model=str(tiny_model_dir), label_prior="on", batch_size=5)
    add_pool(project, tmp_path, gold_rows(40))
    models = load_models(project)
    assert refresh(project, models).kind == "coldstart"  # no label yet: the cold start
    _label_first_batch(project, 5, "pos")  # one class only
    result = refresh(project, models)
    assert result.kind == "head" and result.metrics["label_prior"] is True
    assert result.head.estimator_ is not None  # a real model over all three labels, not a constant
    assert result.head.prior.shape[0] == 3 and len(result.head.X_train_) == 5
    version = current_version(project.db)
    assert version["version"] == result.version and version["kind"] == "head"
    item = queue.next_item(project, "ann")
    assert item.model_version == result.version


def test_without_the_prior_one_class_keeps_the_cold_start(project, tmp_path, tiny_model_dir):
    from annotator.services.training.models import load_models
    from annotator.services.training.refresh import refresh

    set_settings(project.db, model=str(tiny_model_dir), label_prior="off", batch_size=5)
    add_pool(project, tmp_path, gold_rows(40))
    models = load_models(project)
    refresh(project, models)
    _label_first_batch(project, 5, "pos")
    assert refresh(project, models).kind == "coldstart"
    _label_first_batch(project, 1, "neg")
    result = refresh(project, models)
    assert result.kind == "head" and result.metrics["label_prior"] is False
