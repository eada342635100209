"""TransformerClassifier on label sets (multi-label) with the tiny BERT: a sigmoid per label trained
with the binary cross-entropy, both objectives, persistence, warm start, export and bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.base import clone

from learner.classifier import TransformerClassifier
from learner.errors import InputError, UnknownLabelError
from learner.multi_label_head import indicator_matrix
from learner.multi_label_metrics import evaluate_sets

CLASSES = ["weather", "tech", "sports", "food", "question", "other"]  # "other" is in no set


@pytest.fixture(scope="module")
def sets(toy):
    """The toy topic of every text, plus ``question`` for the texts that ask one."""
    texts, topics = toy
    return texts, [[topic] + (["question"] if text.endswith("?") else []) for text, topic in zip(texts, topics)]


@pytest.fixture(scope="module")
def fitted_sets(tiny_bert, sets):
    from learner.devices import torch_threads

    from .conftest import FAST

    with torch_threads(1):
        return TransformerClassifier(model=tiny_bert, classes=CLASSES, **FAST).fit(*sets)


def test_label_sets_train_a_sigmoid_per_label(fitted_sets, sets):
    texts, truth = sets
    assert any(len(row) == 2 for row in truth)
    proba = fitted_sets.predict_proba(texts)
    assert fitted_sets.multi_label_ is True and list(fitted_sets.classes_) == CLASSES
    assert proba.shape == (len(texts), len(CLASSES)) and ((proba >= 0) & (proba <= 1)).all()
    assert not np.allclose(proba.sum(axis=1), 1.0)  # independent labels, not a distribution
    predicted = fitted_sets.predict(texts)
    assert predicted.shape == proba.shape and set(np.unique(predicted)) <= {0, 1}
    assert np.array_equal(predicted, (proba >= 0.5).astype(np.int8))
    assert evaluate_sets(truth, predicted, CLASSES)["micro_f1"] > 0.6  # it learned the sets
    assert proba[:, CLASSES.index("other")].max() < 0.05  # a label no text has stays off
    assert fitted_sets.history_[0]["loss"] < 0.3  # binary cross-entropy, per decision


def test_an_indicator_matrix_trains_the_same_model(make_clf, sets):
    texts, truth = sets
    texts, truth = texts[:40], truth[:40]
    from_lists = make_clf(classes=CLASSES, epochs=1).fit(texts, truth)
    from_matrix = make_clf(classes=CLASSES, epochs=1).fit(texts, indicator_matrix(truth, CLASSES))
    assert np.array_equal(from_lists.predict_proba(texts), from_matrix.predict_proba(texts))


def test_default_classes_are_the_sorted_names_of_the_sets(make_clf, sets):
    texts, truth = sets
    clf = make_clf(classes=None, epochs=1).fit(texts[:30], truth[:30])
    assert list(clf.classes_) == sorted({name for row in truth[:30] for name in row})


def test_empty_sets_are_texts_without_a_label(make_clf, sets):
    texts, truth = sets
    clf = make_clf(classes=CLASSES, epochs=1).fit(texts[:20], [[]] * 10 + truth[10:20])
    assert clf.predict_proba(texts[:3]).shape == (3, len(CLASSES))


@pytest.mark.parametrize("objective", ["mean_head", "classifier"])
def test_save_load_keeps_the_mode_and_the_probabilities(make_clf, sets, tmp_path, objective):
    texts, truth = sets
    clf = make_clf(classes=CLASSES, objective=objective, epochs=2).fit(texts, truth)
    target = clf.save(tmp_path / "v1")
    config = json.loads((target / "config.json").read_text())
    assert config["problem_type"] == "multi_label_classification"
    assert json.loads((target / "labelloop.json").read_text())["multi_label"] is True
    loaded = TransformerClassifier.load(target)
    assert loaded.multi_label_ is True and loaded.objective == objective
    assert np.array_equal(loaded.predict_proba(texts), clf.predict_proba(texts))
    assert np.array_equal(loaded.predict(texts), clf.predict(texts))
    if objective == "classifier":  # the folder itself is a multi-label pipeline: a sigmoid per label
        from transformers import pipeline

        out = pipeline("text-classification", model=str(target), device=-1, top_k=None)(texts[:8])
        scores = [[next(r["score"] for r in row if r["label"] == c) for c in CLASSES] for row in out]
        assert np.allclose(scores, clf.predict_proba(texts[:8]), atol=1e-5)


def test_the_mean_head_exports_as_a_multi_label_pipeline(fitted_sets, sets, tmp_path):
    from transformers import pipeline

    from learner.export import write_head_classifier

    texts = sets[0][:8]
    target = fitted_sets.save(tmp_path / "v1")
    coef, intercept = fitted_sets.mean_head_.weights()
    folder = write_head_classifier(target, coef, intercept, CLASSES, tmp_path / "export", max_length=64,
                                   thresholds=[0.5] * len(CLASSES))
    out = pipeline("text-classification", model=str(folder), device=-1, top_k=None)(texts)
    scores = [[next(r["score"] for r in row if r["label"] == c) for c in CLASSES] for row in out]
    assert np.allclose(scores, fitted_sets.predict_proba(texts), atol=1e-4)
    assert TransformerClassifier.load(folder).multi_label_ is True  # the exported folder loads as one too


def test_the_mean_head_starts_from_the_one_vs_rest_head(make_clf, sets):
    """The first step's loss is that of a fitted head, below a fresh first-token layer's (about ln 2)."""
    texts, truth = sets
    losses = {}
    for objective in ("mean_head", "classifier"):
        seen = []
        make_clf(classes=CLASSES, objective=objective, epochs=1).fit(texts, truth, callback=seen.append)
        losses[objective] = seen[0]["loss"]
    assert losses["mean_head"] < 0.75 * losses["classifier"]


def test_partial_fit_continues_on_sets_and_refuses_the_other_kind(make_clf, sets, toy):
    texts, truth = sets
    clf = make_clf(classes=CLASSES, epochs=1).fit(texts[:40], truth[:40])
    before = clf.predict_proba(texts[:5])
    clf.partial_fit(texts[40:80], truth[40:80])
    assert [row["kind"] for row in clf.history_] == ["fit", "partial_fit"]
    assert not np.allclose(before, clf.predict_proba(texts[:5]))
    with pytest.raises(InputError, match="fitted on label sets; partial_fit got single labels"):
        clf.partial_fit(texts[:4], toy[1][:4])
    single = make_clf(epochs=1).fit(toy[0][:20], toy[1][:20])
    with pytest.raises(InputError, match="fitted on single labels; partial_fit got label sets"):
        single.partial_fit(texts[:4], truth[:4])
    with pytest.raises(UnknownLabelError):
        clf.partial_fit(texts[:2], [["weather"], ["snow"]])


def test_bad_label_sets_are_clear_errors(make_clf, sets):
    texts, truth = sets
    with pytest.raises(UnknownLabelError, match="snow"):
        make_clf(classes=CLASSES).fit(texts[:2], [["weather"], ["snow"]])
    with pytest.raises(InputError, match="needs classes with one name per column"):
        make_clf(classes=None).fit(texts[:2], np.array([[1, 0], [0, 1]]))
    with pytest.raises(InputError, match="only 0 and 1"):
        make_clf(classes=["a", "b"]).fit(texts[:2], np.array([[2, 0], [0, 1]]))
    with pytest.raises(InputError, match="mixes label sets with single labels"):
        make_clf(classes=CLASSES).fit(texts[:2], [["weather"], "tech"])
    with pytest.raises(InputError, match="3 texts but 2 label sets"):
        make_clf(classes=CLASSES).fit(texts[:3], truth[:2])
    with pytest.raises(InputError, match="name no label"):
        make_clf(classes=None).fit(texts[:2], [[], []])


def test_sklearn_api_is_kept(fitted_sets, sets):
    texts, truth = sets
    copy = clone(fitted_sets)
    assert copy.get_params() == fitted_sets.get_params() and not hasattr(copy, "multi_label_")
    matrix = indicator_matrix(truth, CLASSES)
    assert fitted_sets.score(texts, matrix) == pytest.approx(evaluate_sets(truth, fitted_sets.predict(texts),
                                                                          CLASSES)["subset_accuracy"])
