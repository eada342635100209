"""The fast tier: EmbeddingHead on precomputed embeddings."""

from __future__ import annotations

import time

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from learner.head import EmbeddingHead


def data(n=300, k=4, d=384, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, d))
    y = rng.integers(0, k, size=n)
    X = centres[y] + 0.5 * rng.normal(size=(n, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    return X.astype(np.float32), np.array([f"l{i}" for i in y])


def test_fit_predict_with_class_order():
    X, y = data()
    head = EmbeddingHead(classes=["l3", "l1", "l0", "l2"]).fit(X, y)
    proba = head.predict_proba(X)
    assert list(head.classes_) == ["l3", "l1", "l0", "l2"]
    assert proba.shape == (len(X), 4) and np.allclose(proba.sum(1), 1)
    assert np.mean(head.predict(X) == y) > 0.95
    # column j is the probability of classes_[j]
    assert np.array_equal(head.classes_[proba.argmax(1)], head.predict(X))


def test_unseen_classes_keep_their_zero_columns():
    X, y = data(k=3)
    head = EmbeddingHead(classes=["l0", "new", "l1", "l2", "later"]).fit(X, y)
    proba = head.predict_proba(X[:10])
    assert proba.shape == (10, 5)
    assert np.all(proba[:, 1] == 0) and np.all(proba[:, 4] == 0)
    assert np.allclose(proba.sum(1), 1)


def test_one_class_seen_so_far():
    X, _ = data(n=12)
    head = EmbeddingHead(classes=["pos", "neg", "neutral"]).fit(X, ["neg"] * 12)
    proba = head.predict_proba(X)
    assert proba.shape == (12, 3)
    assert np.all(proba[:, 1] == 1) and np.all(proba[:, [0, 2]] == 0)
    assert set(head.predict(X)) == {"neg"}
    # without a class list it still works, with a single column
    assert EmbeddingHead().fit(X, ["neg"] * 12).predict_proba(X).shape == (12, 1)


def test_retrains_fast_on_hundreds_of_labels():
    X, y = data(n=500, k=6)
    head = EmbeddingHead()
    head.fit(X, y)  # warm-up
    start = time.perf_counter()
    head.fit(X, y)
    assert time.perf_counter() - start < 2.0  # typically ~0.1 s; generous for a loaded shared CPU


def test_bad_input_is_a_clear_error():
    X, y = data(n=20)
    with pytest.raises(NotFittedError):
        EmbeddingHead().predict_proba(X)
    with pytest.raises(ValueError, match="empty"):
        EmbeddingHead().fit(X[:0], [])
    with pytest.raises(ValueError, match="zebra"):
        EmbeddingHead(classes=["l0", "l1", "l2", "l3"]).fit(X[:2], ["l0", "zebra"])
    with pytest.raises(ValueError, match="labels"):
        EmbeddingHead().fit(X, y[:5])
    head = EmbeddingHead().fit(X, y)
    with pytest.raises(ValueError, match="features"):
        head.predict_proba(X[:, :10])
    with pytest.raises(ValueError, match="2-D"):
        head.predict_proba(X[0])
    with pytest.raises(ValueError, match="numbers"):
        head.predict_proba(np.array([["a", "b"]]))
    assert head.predict_proba(X[:0]).shape == (0, len(head.classes_))
