"""learner.linear_head: the head's probabilities from its linear form equal predict_proba."""

from __future__ import annotations

import numpy as np

from learner.head import EmbeddingHead
from learner.linear_head import head_proba
from tests.learner.test_head import data


def test_equals_predict_proba_over_chunks_and_classes_never_seen():
    X, y = data(n=300, k=4)
    head = EmbeddingHead(classes=["l0", "new", "l1", "l2", "l3"]).fit(X, y)
    got = head_proba(X, *head.linear(), chunk=64)  # several chunks and a short last one
    assert got.shape == (300, 5)
    assert np.allclose(got, head.predict_proba(X), atol=1e-6)
    assert np.array_equal(got.argmax(1), head.predict_proba(X).argmax(1))


def test_two_classes_one_class_and_a_zero_row():
    X, _ = data(n=40, k=2)
    y = np.array(["a", "b"] * 20)
    two = EmbeddingHead().fit(X, y)
    assert np.allclose(head_proba(X, *two.linear()), two.predict_proba(X), atol=1e-6)
    one = EmbeddingHead(classes=["x", "a"]).fit(X, ["a"] * 40)
    assert np.allclose(head_proba(X, *one.linear()), one.predict_proba(X), atol=1e-6)
    zero = np.zeros((1, X.shape[1]), dtype=np.float32)  # centred norm 0: features 0, like head_features
    assert np.allclose(head_proba(zero, *two.linear()), two.predict_proba(zero), atol=1e-6)


def test_reads_a_memory_mapped_pool(tmp_path):
    X, y = data(n=200, k=3)
    head = EmbeddingHead().fit(X, y)
    path = tmp_path / "vectors.npy"
    np.save(path, X)
    mapped = np.load(path, mmap_mode="r")
    assert np.allclose(head_proba(mapped, *head.linear(), chunk=50), head.predict_proba(X), atol=1e-6)


def test_kept_row_stats_give_the_same_probabilities():
    from learner.linear_head import row_stats

    X, y = data(n=250, k=4)
    X[7] = 0.0  # a zero row: norm taken as 1, as head_features does
    head = EmbeddingHead().fit(X, y)
    stats = row_stats(X, chunk=60)
    assert stats.mean.shape == stats.norm.shape == (250,) and stats.norm[7] == 1.0
    with_stats = head_proba(X, *head.linear(), chunk=70, stats=stats)
    assert np.allclose(with_stats, head_proba(X, *head.linear()), atol=1e-9)
    assert np.allclose(with_stats, head.predict_proba(X), atol=1e-6)
    part = stats.part(100, 150)
    assert np.allclose(head_proba(X[100:150], *head.linear(), stats=part), with_stats[100:150], atol=1e-12)
