"""annotator.services.training.scoring: a batch strategy's picks head the published ranking."""

from __future__ import annotations

import numpy as np

from annotator.services.training.scoring import rank_pool, scores_of
from learner.head import EmbeddingHead
from learner.strategies import get_strategy


def _pool(n=300, k=3, d=16, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, d)) * 2
    y = rng.integers(0, k, size=n)
    X = (centres[y] + rng.normal(size=(n, d))).astype(np.float32)
    return X, np.array([f"c{i}" for i in y])


def test_margin_kmeans_puts_its_batch_first_and_the_rest_by_margin():
    X, y = _pool()
    classes = ["c0", "c1", "c2"]
    head = EmbeddingHead(classes=classes, C=10).fit(X[:12], y[:12])
    done = np.zeros(len(X), dtype=bool)
    done[:12] = True
    ids = np.arange(100, 100 + len(X))
    scores = scores_of(head.predict_proba(X), "margin_kmeans", 0, 12)
    ranking = rank_pool(ids=ids, scores=scores, embeddings=X, classes=classes, strategy="margin_kmeans",
                        done=done, estimator=head, seed=3, batch_size=7)
    order = [row[0] - 100 for row in ranking.top]
    open_positions = np.flatnonzero(~done)
    candidates = open_positions[np.argsort(-scores.informativeness[open_positions], kind="stable")]
    picks = candidates[get_strategy("margin_kmeans")(head, X[candidates], 7, random_state=3)]
    assert order[:7] == picks.tolist()
    rest = order[7:len(X) - 12]
    assert np.all(np.diff(scores.informativeness[rest]) <= 1e-12)  # then by margin
    assert set(order[-12:]) == set(range(12))  # labeled texts last
    assert sorted(order) == list(range(len(X)))
