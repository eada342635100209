"""learner.mean_head: the torch features equal the fast head's, and a mean head started from a
fitted EmbeddingHead gives that head's probabilities before any training step."""

from __future__ import annotations

import numpy as np
import torch

from learner.head import EmbeddingHead, head_features
from learner.mean_head import UNSEEN_START, MeanHeadModel, centred_unit


def test_centred_unit_is_head_features():
    X = np.random.default_rng(0).normal(size=(20, 16))
    assert np.allclose(centred_unit(torch.as_tensor(X)).numpy(), head_features(X), atol=1e-12)


def test_a_mean_head_starts_as_the_fitted_head(make_clf, toy):
    texts, labels = toy
    base = make_clf()
    X = base.embed(texts)
    classes = ["weather", "tech", "sports", "food", "other"]
    head = EmbeddingHead(classes=classes, C=10.0).fit(X, labels)
    encoder, tokenizer = base._base_encoder()
    module = MeanHeadModel(encoder, *head.linear()).eval()
    batch = tokenizer(texts[:16], padding=True, truncation=True, max_length=64, return_tensors="pt")
    with torch.inference_mode():
        out = module(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
    proba = out.logits.softmax(dim=-1).numpy()
    expected = head.predict_proba(X[:16])
    seen = [classes.index(c) for c in ("weather", "tech", "sports", "food")]
    assert np.allclose(proba[:, seen], expected[:, seen], atol=1e-5)
    # "other" was never labeled: it starts at a finite, negligible logit
    assert module.linear.bias[classes.index("other")].item() == UNSEEN_START
    assert proba[:, classes.index("other")].max() < 1e-6
    coef, intercept = module.weights()
    assert coef.shape == (5, X.shape[1]) and intercept.dtype == np.float64
