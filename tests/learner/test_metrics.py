"""Metrics against values computed by hand."""

from __future__ import annotations

import json

import pytest

from learner.metrics import evaluate

Y_TRUE = ["a", "a", "b", "b", "c"]
Y_PRED = ["a", "b", "b", "b", "a"]


def test_against_hand_computed_values():
    m = evaluate(Y_TRUE, Y_PRED, labels=["a", "b", "c"])
    assert m["n"] == 5
    assert m["accuracy"] == pytest.approx(3 / 5)
    # a: tp 1, fp 1 (a c predicted a), fn 1 -> p = r = f1 = 1/2
    assert m["per_class"]["a"] == pytest.approx({"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2})
    # b: tp 2, fp 1, fn 0 -> p 2/3, r 1, f1 0.8
    assert m["per_class"]["b"] == pytest.approx({"precision": 2 / 3, "recall": 1.0, "f1": 0.8, "support": 2})
    assert m["per_class"]["c"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert m["macro_f1"] == pytest.approx((0.5 + 0.8 + 0.0) / 3)
    # rows: gold a, b, c; columns: predicted a, b, c
    assert m["confusion_matrix"] == [[1, 1, 0], [0, 2, 0], [1, 0, 0]]
    assert json.loads(json.dumps(m)) == m


def test_label_order_and_labels_absent_from_the_data():
    m = evaluate(Y_TRUE, Y_PRED, labels=["c", "d", "b", "a"])
    assert m["labels"] == ["c", "d", "b", "a"]
    assert m["confusion_matrix"][0] == [0, 0, 0, 1]  # gold c predicted a
    assert m["confusion_matrix"][1] == [0, 0, 0, 0]
    assert m["per_class"]["d"]["support"] == 0
    assert m["macro_f1"] == pytest.approx((0.5 + 0.8 + 0.0) / 3)  # d says nothing about the model


def test_default_labels_and_perfect_predictions():
    m = evaluate(["x", "y"], ["x", "y"])
    assert m["labels"] == ["x", "y"] and m["accuracy"] == 1.0 and m["macro_f1"] == 1.0


def test_bad_input():
    with pytest.raises(ValueError, match="empty"):
        evaluate([], [])
    with pytest.raises(ValueError, match="predictions"):
        evaluate(["a"], ["a", "b"])
    with pytest.raises(ValueError, match="not in labels"):
        evaluate(["a", "z"], ["a", "a"], labels=["a"])
