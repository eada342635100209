"""annotator.services.training.scoring: a batch strategy's picks head the published ranking."""

from __future__ import annotations

import numpy as np

from annotator.services.training.scoring import rank_pool, score_pool, scores_of
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


def test_a_ranking_published_in_two_parts_is_the_whole_ranking():
    X, y = _pool(n=12_000)
    classes = ["c0", "c1", "c2"]
    head = EmbeddingHead(classes=classes, C=10).fit(X[:30], y[:30])
    done = np.zeros(len(X), dtype=bool)
    done[:30] = True
    ids = np.arange(1, len(X) + 1)
    scores = score_pool(head, X, "margin", 0, 30)
    kwargs = dict(ids=ids, scores=scores, embeddings=X, classes=classes, strategy="margin", done=done,
                  estimator=head, seed=0)
    whole = rank_pool(**kwargs, top=len(X))
    parts = rank_pool(**kwargs, top=500)
    tail = [row for chunk in parts.tail for row in chunk]
    assert len(parts.top) == 500 and parts.n == len(X)
    assert parts.top + tail == whole.top and list(whole.tail) == []
    assert [row[1] for row in parts.top + tail] == list(range(len(X)))  # ranks 0..n-1, no gap


def test_score_pool_is_the_heads_own_probabilities():
    X, y = _pool(n=2_000)
    head = EmbeddingHead(classes=["c0", "c1", "c2"], C=10).fit(X[:40], y[:40])
    chunked = score_pool(head, X, "margin", 0, 40, chunk=300)
    direct = scores_of(head.predict_proba(X), "margin", 0, 40)
    assert np.array_equal(chunked.predicted, direct.predicted)
    assert np.allclose(chunked.confidence, direct.confidence, atol=1e-6)
    assert np.allclose(chunked.informativeness, direct.informativeness, atol=1e-6)
