"""The fast tier: EmbeddingHead on precomputed embeddings."""

from __future__ import annotations

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


def test_a_refit_on_the_same_labels_gives_the_same_head():
    X, y = data(n=500, k=6)
    head = EmbeddingHead()
    first = head.fit(X, y).predict_proba(X)
    assert np.array_equal(head.fit(X, y).predict_proba(X), first)


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


# ------------------------------------------------------------------ the label-name prior


def prior_data(k=3, d=48, n=60, seed=1):
    """Clusters around k directions; the prior rows are those directions (as a label name would be)."""
    rng = np.random.default_rng(seed)
    names = rng.normal(size=(k, d))
    y = rng.integers(0, k, size=n)
    X = names[y] + 0.6 * rng.normal(size=(n, d))
    return X, np.array([f"l{i}" for i in y]), names, [f"l{i}" for i in range(k)]


def test_the_prior_alone_classifies_by_the_names():
    X, y, names, classes = prior_data()
    head = EmbeddingHead(classes=classes, C=10, prior=names).fit(np.zeros((0, X.shape[1])), [])
    assert np.mean(head.predict(X) == y) > 0.9
    assert len(head.X_train_) == 0


def test_the_prior_pulls_predictions_toward_the_named_class_with_one_label():
    X, y, names, classes = prior_data()
    first = int(np.flatnonzero(y == "l0")[0])
    plain = EmbeddingHead(classes=classes, C=10).fit(X[[first]], ["l0"])
    assert set(plain.predict(X)) == {"l0"}  # one class seen: everything is that class
    head = EmbeddingHead(classes=classes, C=10, prior=names).fit(X[[first]], ["l0"])
    assert head.estimator_ is not None  # a real model, not a constant
    others = y != "l0"
    assert np.mean(head.predict(X[others]) == y[others]) > 0.9
    proba = head.predict_proba(X)
    assert np.all(proba > 0) and np.allclose(proba.sum(1), 1)
    # a heavier prior pulls harder: a text of l1 gets more of l1
    l1 = X[y == "l1"]
    heavy = EmbeddingHead(classes=classes, C=10, prior=names, prior_weight=5.0).fit(X[[first]], ["l0"])
    assert heavy.predict_proba(l1)[:, 1].mean() > head.predict_proba(l1)[:, 1].mean()


def test_the_prior_keeps_x_train_and_the_linear_contract():
    from scipy.special import softmax

    from learner.head import head_features

    X, y, names, classes = prior_data(k=4)
    for rows in (slice(0, 1), slice(0, 30)):
        head = EmbeddingHead(classes=classes, C=10, prior=names).fit(X[rows], y[rows])
        assert np.array_equal(head.X_train_, X[rows])  # the labelled rows only, never the prior's
        coef, intercept = head.linear()
        assert coef.shape == (4, X.shape[1]) and intercept.shape == (4,)
        assert np.allclose(softmax(head_features(X) @ coef.T + intercept, axis=1), head.predict_proba(X), atol=1e-9)


def test_two_classes_with_a_prior_and_labels_of_one():
    X, y, names, classes = prior_data(k=2)
    head = EmbeddingHead(classes=classes, C=10, prior=names).fit(X[y == "l1"][:3], ["l1"] * 3)
    coef, intercept = head.linear()
    from scipy.special import softmax

    from learner.head import head_features

    assert np.allclose(softmax(head_features(X) @ coef.T + intercept, axis=1), head.predict_proba(X), atol=1e-9)
    assert np.mean(head.predict(X) == y) > 0.8


def test_a_bad_prior_is_a_one_line_error():
    X, y, names, classes = prior_data()
    with pytest.raises(ValueError, match="needs classes"):
        EmbeddingHead(prior=names).fit(X, y)
    with pytest.raises(ValueError, match="one row per class"):
        EmbeddingHead(classes=classes, prior=names[:2]).fit(X, y)
    with pytest.raises(ValueError, match="one row per class"):
        EmbeddingHead(classes=classes, prior=names[:, :5]).fit(X, y)
    with pytest.raises(ValueError, match="NaN"):
        EmbeddingHead(classes=classes, prior=np.full_like(names, np.nan)).fit(X, y)
    for weight in (0, -1.0, "1", True):
        with pytest.raises(ValueError, match="prior_weight"):
            EmbeddingHead(classes=classes, prior=names, prior_weight=weight).fit(X, y)
    with pytest.raises(ValueError, match="empty"):
        EmbeddingHead(classes=classes).fit(X[:0], [])
