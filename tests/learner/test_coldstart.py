"""Cold start: k-means diversity and random orderings of the pool."""

from __future__ import annotations

import numpy as np
import pytest

from learner.coldstart import cold_start_order


def clusters(k=5, n_per=30, d=8, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, d)) * 10
    X = np.concatenate([c + rng.normal(size=(n_per, d)) for c in centres])
    return X, np.repeat(np.arange(k), n_per)


def test_kmeans_first_picks_cover_every_cluster():
    X, cluster = clusters()
    order = cold_start_order(X, n=5, random_state=0)
    assert sorted(order.tolist()) == list(range(len(X)))  # a full ordering of the pool
    assert len({cluster[i] for i in order[:5]}) == 5
    assert np.array_equal(order, cold_start_order(X, n=5, random_state=0))


def test_kmeans_picks_are_central():
    X, cluster = clusters(k=3)
    order = cold_start_order(X, n=3, random_state=1)
    for i in order[:3]:
        members = X[cluster == cluster[i]]
        dist = np.linalg.norm(members - members.mean(0), axis=1)
        assert np.linalg.norm(X[i] - members.mean(0)) <= np.quantile(dist, 0.25)


def test_random_needs_no_embeddings():
    order = cold_start_order(n_items=40, n=5, method="random", random_state=0)
    assert sorted(order.tolist()) == list(range(40))
    assert np.array_equal(order, cold_start_order(n_items=40, n=5, method="random", random_state=0))
    assert not np.array_equal(order, cold_start_order(n_items=40, n=5, method="random", random_state=1))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # fewer distinct points than clusters
def test_edge_cases():
    X, _ = clusters(k=2, n_per=3)
    assert sorted(cold_start_order(X, n=50, random_state=0).tolist()) == list(range(6))
    assert len(cold_start_order(X[:0], n=3)) == 0
    # duplicate points still give distinct picks
    dup = np.zeros((10, 4))
    dup[5:] = 1
    assert len(set(cold_start_order(dup, n=4, random_state=0)[:4].tolist())) == 4


def test_big_pool_uses_minibatch_kmeans_quickly():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20_000, 16)).astype(np.float32)
    order = cold_start_order(X, n=20, random_state=0)
    assert len(order) == 20_000 and len(set(order[:20].tolist())) == 20


def test_bad_input():
    with pytest.raises(ValueError, match="embeddings"):
        cold_start_order(n_items=10, n=3, method="kmeans")
    with pytest.raises(ValueError, match="method"):
        cold_start_order(n_items=10, n=3, method="smart")
    with pytest.raises(ValueError):
        cold_start_order(np.zeros((5, 2)), n_items=6)
    with pytest.raises(ValueError):
        cold_start_order()
