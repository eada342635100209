"""The multi-label fast head (one-vs-rest, cross-validated thresholds), its metrics and strategies,
on synthetic embeddings where each label is a direction of its own."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from learner.errors import InputError, UnknownLabelError
from learner.multi_label_head import MultiLabelHead, best_threshold, indicator_matrix
from learner.multi_label_metrics import evaluate_sets
from learner.multi_label_strategies import (
    multi_label_scores,
    rank_multi_label,
    threshold_distances,
)
from learner.strategies import STRATEGIES

CLASSES = ["a", "b", "rare"]


def _data(n: int, seed: int = 0, rare_rate: float = 0.08):
    """Label a when x0 > 0, b when x1 > 0, rare when x2 > a high cut (so about ``rare_rate`` of rows)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 8))
    cut = np.quantile(X[:, 2], 1 - rare_rate)
    Y = np.stack([X[:, 0] > 0, X[:, 1] > 0, X[:, 2] > cut], axis=1).astype(np.int8)
    X = X + 3.0  # the head centres each row: keep the directions apart from the mean
    X[:, 7] = 0.0
    return X, Y


def test_fit_on_sets_predicts_sets_and_per_label_probabilities():
    X, Y = _data(400)
    sets = [[c for c, y in zip(CLASSES, row) if y] for row in Y]
    head = MultiLabelHead(classes=CLASSES, C=10.0).fit(X, sets)
    proba = head.predict_proba(X[:5])
    assert proba.shape == (5, 3) and ((proba >= 0) & (proba <= 1)).all()
    assert head.predict_sets(X[:5]) == [list(head.classes_[np.flatnonzero(row)]) for row in head.predict(X[:5])]
    test_X, test_Y = _data(400, seed=1)
    scores = evaluate_sets(test_Y, head.predict(test_X), CLASSES)
    assert scores["micro_f1"] > 0.8 and scores["per_label"]["a"]["f1"] > 0.85


def test_cross_validated_thresholds_beat_a_fixed_half_on_a_rare_label():
    X, Y = _data(300, rare_rate=0.06)
    tuned = MultiLabelHead(classes=CLASSES, C=1.0).fit(X, Y)
    fixed = MultiLabelHead(classes=CLASSES, C=1.0, cv=0).fit(X, Y)
    assert (fixed.thresholds_ == 0.5).all() and tuned.thresholds_[2] < 0.5
    test_X, test_Y = _data(2000, seed=3, rare_rate=0.06)
    rare = lambda head: evaluate_sets(test_Y, head.predict(test_X), CLASSES)["per_label"]["rare"]["f1"]  # noqa: E731
    assert rare(tuned) > rare(fixed)


def test_a_label_never_or_always_given_is_a_constant():
    X, _ = _data(30)
    head = MultiLabelHead(classes=["all", "none", "some"]).fit(X, [["all"] + (["some"] if i % 2 else [])
                                                                   for i in range(30)])
    proba = head.predict_proba(X)
    assert (proba[:, 0] == 1.0).all() and (proba[:, 1] < 1e-30).all()
    coef, intercept = head.linear()
    assert not coef[:2].any() and intercept[0] > 0 > intercept[1]


def test_linear_gives_the_same_probabilities():
    from learner.head import head_features

    X, Y = _data(120)
    head = MultiLabelHead(classes=CLASSES).fit(X, Y)
    coef, intercept = head.linear()
    assert np.allclose(1 / (1 + np.exp(-(head_features(X) @ coef.T + intercept))), head.predict_proba(X))


def test_the_prior_gives_every_label_a_direction_before_its_first_text():
    X, Y = _data(40)
    prior = np.eye(3, 8) * 3 + 3.0
    head = MultiLabelHead(classes=CLASSES, prior=prior, prior_weight=2.0).fit(X[:10], Y[:10] * [1, 1, 0])
    assert 0 < head.predict_proba(X)[:, 2].max() < 1 and len(head.X_train_) == 10


def test_at_least_one_gives_every_text_a_label():
    X, Y = _data(200)
    head = MultiLabelHead(classes=CLASSES, at_least_one=True).fit(X, Y)
    assert (head.predict(X).sum(axis=1) >= 1).all()


def test_bad_input_is_a_named_error():
    X, Y = _data(10)
    with pytest.raises(UnknownLabelError):
        MultiLabelHead(classes=CLASSES).fit(X, [["zzz"]] * 10)
    with pytest.raises(InputError, match="not a single string"):
        MultiLabelHead(classes=CLASSES).fit(X, ["a"] * 10)
    with pytest.raises(InputError, match="10 embeddings but 9"):
        MultiLabelHead(classes=CLASSES).fit(X, Y[:9])
    with pytest.raises(NotFittedError):
        MultiLabelHead().predict_proba(X)


def test_best_threshold_takes_the_f1_best_cut():
    proba = np.array([0.1, 0.2, 0.3, 0.35, 0.8])
    truth = np.array([0, 0, 1, 1, 1])
    assert 0.2 < best_threshold(proba, truth) <= 0.3


def test_metrics_by_hand():
    labels = ["x", "y", "z"]
    gold = [["x"], ["x", "y"], [], ["z"]]
    pred = [["x"], ["x"], ["y"], ["z"]]
    scores = evaluate_sets(gold, pred, labels)
    # tp: x 2, y 0, z 1; fp: y 1; fn: y 1 -> micro 2*3/(2*3+1+1); per-label F1 x 1, y 0, z 1
    assert scores["micro_f1"] == pytest.approx(6 / 8)
    assert scores["macro_f1"] == pytest.approx(2 / 3)
    assert scores["subset_accuracy"] == pytest.approx(2 / 4)
    assert scores["hamming_loss"] == pytest.approx(2 / 12)
    assert scores["per_label"]["y"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert evaluate_sets(indicator_matrix(gold, labels), indicator_matrix(pred, labels), labels) == scores


def test_threshold_distances_and_scores():
    proba = np.array([[0.5, 0.9], [0.1, 0.05], [0.3, 0.95]])
    thresholds = np.array([0.5, 0.1])
    distance = threshold_distances(proba, thresholds)
    assert distance[0].tolist() == pytest.approx([0.0, 0.8 / 0.9]) and distance[1].tolist() == pytest.approx([0.8, 0.5])
    margin = multi_label_scores("margin", proba, thresholds)
    mean = multi_label_scores("least_confidence", proba, thresholds)
    assert margin.argmax() == 0 and mean[1] > mean[2]


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_every_strategy_name_has_a_multi_label_meaning(name):
    X, Y = _data(200)
    head = MultiLabelHead(classes=CLASSES).fit(X[:60], Y[:60])
    picked = rank_multi_label(name, head, X[60:], 25, random_state=0)
    assert len(picked) == 25 and len(set(picked.tolist())) == 25 and picked.max() < 140
    assert rank_multi_label(name, head, X[60:], 0, random_state=0).tolist() == []
    assert np.array_equal(picked, rank_multi_label(name, head, X[60:], 25, random_state=0))
