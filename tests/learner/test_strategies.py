"""Query strategies: one contract for all, modAL equivalence of the numpy scores."""

from __future__ import annotations

import numpy as np
import pytest

from learner.head import EmbeddingHead
from learner.strategies import (
    STRATEGIES,
    entropy_scores,
    get_strategy,
    least_confidence_scores,
    margin_scores,
    rank_by_score,
    uncertainty_scores,
)


def blobs(n_per=40, k=4, d=16, seed=0, spread=1.5):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, d)) * 3
    X = np.concatenate([c + spread * rng.normal(size=(n_per, d)) for c in centres])
    y = np.repeat([f"c{i}" for i in range(k)], n_per)
    return X.astype(np.float32), y


@pytest.fixture(scope="module")
def pool():
    X, y = blobs(n_per=20)
    labelled = np.arange(0, len(X), 4)  # 20 labelled items, five per cluster
    head = EmbeddingHead(classes=["c0", "c1", "c2", "c3"]).fit(X[labelled], y[labelled])
    return head, X


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_strategy_contract(name, pool):
    head, X = pool
    strategy = get_strategy(name)
    picked = strategy(head, X, 7, random_state=3)
    assert isinstance(picked, np.ndarray) and picked.dtype.kind == "i"
    assert len(picked) == 7 and len(set(picked.tolist())) == 7
    assert picked.min() >= 0 and picked.max() < len(X)
    # deterministic with a seed
    assert np.array_equal(picked, strategy(head, X, 7, random_state=3))
    # n larger than the pool: every item once
    everything = strategy(head, X, len(X) + 50, random_state=3)
    assert sorted(everything.tolist()) == list(range(len(X)))
    assert len(strategy(head, X, 0, random_state=3)) == 0
    with pytest.raises(ValueError):
        strategy(head, X, -1)


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_strategy_works_before_any_model(name):
    X, _ = blobs(n_per=10)
    picked = get_strategy(name)(EmbeddingHead(), X, 5, random_state=0)  # unfitted: NotFittedError inside
    assert len(set(picked.tolist())) == 5


@pytest.mark.parametrize("name", ["least_confidence", "margin", "entropy"])
def test_uncertainty_strategies_rank_most_informative_first(name, pool):
    head, X = pool
    scores = uncertainty_scores(name, head.predict_proba(X))
    picked = get_strategy(name)(head, X, 10, random_state=0)
    chosen = scores[picked]
    assert np.all(np.diff(chosen) <= 1e-12)  # non-increasing
    assert chosen[-1] >= np.delete(scores, picked).max() - 1e-12  # nothing better left behind


@pytest.mark.parametrize("name", ["least_confidence", "margin", "entropy", "random"])
def test_strategies_take_texts_with_the_transformer(name, fitted, toy):
    texts = toy[0][:30]
    picked = get_strategy(name)(fitted, texts, 5, random_state=0)
    assert len(set(picked.tolist())) == 5 and picked.max() < 30


def test_numpy_scores_equal_modal_measures(pool):
    from modAL.uncertainty import classifier_entropy, classifier_margin, classifier_uncertainty

    head, X = pool
    proba = head.predict_proba(X)
    assert np.allclose(least_confidence_scores(proba), classifier_uncertainty(head, X))
    assert np.allclose(margin_scores(proba), 1 - classifier_margin(head, X))
    assert np.allclose(entropy_scores(proba), classifier_entropy(head, X))
    # and on arbitrary probability matrices, including exact zeros and a one-hot row
    rng = np.random.default_rng(0)
    P = rng.dirichlet(np.ones(6) * 0.3, size=500)
    P[0] = [1, 0, 0, 0, 0, 0]
    P[1, :3] = 0
    P[1] /= P[1].sum()
    from modAL.uncertainty import _proba_entropy, _proba_margin, _proba_uncertainty

    assert np.allclose(least_confidence_scores(P), _proba_uncertainty(P))
    assert np.allclose(margin_scores(P), 1 - _proba_margin(P))
    assert np.allclose(entropy_scores(P), _proba_entropy(P))


def test_scores_cover_a_big_pool():
    P = np.random.default_rng(0).dirichlet(np.ones(10), size=100_000)
    for name in ("least_confidence", "margin", "entropy"):
        scores = uncertainty_scores(name, P)
        assert scores.shape == (100_000,) and np.isfinite(scores).all()


def test_uncertainty_scores_for_random_and_diverse():
    P = np.random.default_rng(1).dirichlet(np.ones(3), size=20)
    assert np.array_equal(uncertainty_scores("random", P, random_state=5), uncertainty_scores("random", P, random_state=5))
    assert np.array_equal(uncertainty_scores("diverse", P), least_confidence_scores(P))
    with pytest.raises(ValueError):
        uncertainty_scores("least_confidence", np.ones(5))


def test_unknown_strategy_lists_the_names():
    with pytest.raises(ValueError) as info:
        get_strategy("smartest")
    for name in STRATEGIES:
        assert name in str(info.value)


def test_rank_by_score_breaks_ties_with_the_seed():
    scores = np.zeros(50)
    a, b = rank_by_score(scores, 10, 1), rank_by_score(scores, 10, 2)
    assert not np.array_equal(a, b)
    assert np.array_equal(a, rank_by_score(scores, 10, 1))


def test_diverse_spreads_over_clusters_and_avoids_the_labelled_set():
    X, y = blobs(n_per=50, k=5, d=8, spread=0.3, seed=4)
    head = EmbeddingHead().fit(X[[0, 50]], y[[0, 50]])  # only clusters c0 and c1 labelled
    picked = get_strategy("diverse")(head, X, 5, random_state=0)
    assert len({y[i] for i in picked}) >= 3
    assert not set(picked.tolist()) & {0, 50}


def test_diverse_uses_a_candidate_subset_on_big_pools():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30_000, 16)).astype(np.float32)
    y = np.array(["a", "b"])[rng.integers(0, 2, size=200)]
    head = EmbeddingHead().fit(X[:200], y)
    picked = get_strategy("diverse")(head, X, 10, random_state=0)
    assert len(set(picked.tolist())) == 10
    # every pick comes from the 500 most uncertain items (the default candidate subset)
    top = rank_by_score(least_confidence_scores(head.predict_proba(X)), 500, 0)
    assert set(picked.tolist()) <= set(top.tolist())


def test_diverse_rejects_texts(pool):
    head, _ = pool
    with pytest.raises(ValueError, match="embedding matrix"):
        get_strategy("diverse")(head, ["a", "b"], 1)


def test_margin_kmeans_takes_the_most_uncertain_item_of_each_cluster():
    X, y = blobs(n_per=8, k=5, d=8, spread=0.05, seed=2)  # 40 items in five tight, far-apart groups
    head = EmbeddingHead().fit(X[[0, 8, 16]], y[[0, 8, 16]])
    scores = margin_scores(head.predict_proba(X))
    picked = get_strategy("margin_kmeans")(head, X, 5, random_state=0)  # 10 * 5 candidates: the whole pool
    assert sorted(y[picked].tolist()) == ["c0", "c1", "c2", "c3", "c4"]  # one per group
    for i in picked:
        assert scores[i] >= scores[y == y[i]].max() - 1e-12  # the group's most uncertain item
    assert np.all(np.diff(scores[picked]) <= 1e-12)  # in margin order
    assert picked[0] == np.argmax(scores)


def test_margin_kmeans_clusters_only_the_most_uncertain_candidates():
    X, y = blobs(n_per=100, k=4, d=8, seed=5)
    head = EmbeddingHead().fit(X[[0, 100, 200, 300]], y[[0, 100, 200, 300]])
    picked = get_strategy("margin_kmeans")(head, X, 6, random_state=1)
    top = rank_by_score(margin_scores(head.predict_proba(X)), 60, 1)
    assert set(picked.tolist()) <= set(top.tolist())
    assert not np.array_equal(picked, top[:6])  # not plain margin: one pick per cluster
    assert np.array_equal(picked, get_strategy("margin_kmeans")(head, X, 6, random_state=1))


def test_margin_kmeans_with_duplicate_rows_still_fills_the_batch():
    X = np.repeat(np.eye(3, 6, dtype=np.float32), 10, axis=0)  # three distinct rows, ten copies each
    head = EmbeddingHead().fit(X[[0, 10]], ["a", "b"])
    picked = get_strategy("margin_kmeans")(head, X, 5, random_state=0)
    assert len(set(picked.tolist())) == 5


def test_margin_kmeans_rejects_texts(pool):
    head, _ = pool
    with pytest.raises(ValueError, match="embedding matrix"):
        get_strategy("margin_kmeans")(head, ["a", "b"], 1)
