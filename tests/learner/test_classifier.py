"""TransformerClassifier on the tiny BERT: shapes, class order, persistence,
warm start, determinism, progress and cancellation, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from learner.classifier import TransformerClassifier
from learner.errors import InputError, TrainingCancelled, UnknownLabelError

TOY_CLASSES = ["weather", "tech", "sports", "food", "other"]


def test_fit_predict_proba_shapes_and_class_order(fitted, toy):
    texts, labels = toy
    proba = fitted.predict_proba(texts)
    assert proba.shape == (len(texts), 5)
    assert proba.dtype.kind == "f"
    assert list(fitted.classes_) == TOY_CLASSES  # given order kept, unseen "other" included
    assert np.allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    assert set(fitted.predict(texts)) <= set(TOY_CLASSES)
    # it learned something: far better than the 25% of always guessing one topic
    assert np.mean(fitted.predict(texts) == np.asarray(labels)) > 0.5
    # the unseen class gets little mass
    assert proba[:, TOY_CLASSES.index("other")].mean() < 0.1


def test_default_classes_are_sorted_labels(make_clf, toy):
    texts, labels = toy
    clf = make_clf(classes=None, epochs=1).fit(texts[:40], labels[:40])
    assert list(clf.classes_) == sorted(set(labels[:40]))
    assert clf.predict_proba(texts[:3]).shape == (3, len(set(labels[:40])))


def test_unfitted_use_raises_not_fitted(make_clf, toy):
    clf = make_clf()
    for call in (clf.predict_proba, clf.predict, clf.predict_proba_and_embed):
        with pytest.raises(NotFittedError):
            call(toy[0][:2])
    with pytest.raises(NotFittedError):
        clf.save("/nonexistent/never-written")


def test_embed_before_and_after_fit(make_clf, fitted, toy):
    texts = toy[0][:10]
    before = make_clf().embed(texts)  # base encoder, no fit needed
    after = fitted.embed(texts)
    for emb in (before, after):
        assert emb.shape == (10, 32) and emb.dtype == np.float32
        assert np.allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)
    assert not np.allclose(before, after)  # fine-tuning changed the encoder


def test_proba_and_embed_in_one_pass_match_separate_calls(fitted, toy):
    texts = toy[0][:30]
    proba, emb = fitted.predict_proba_and_embed(texts)
    assert np.allclose(proba, fitted.predict_proba(texts), atol=1e-6)
    assert np.allclose(emb, fitted.embed(texts), atol=1e-6)


def test_save_load_gives_identical_probabilities(fitted, toy, tmp_path):
    texts = toy[0]
    target = fitted.save(tmp_path / "models" / "v1")
    assert (target / "config.json").exists() and (target / "labelloop.json").exists()
    loaded = TransformerClassifier.load(target)
    assert list(loaded.classes_) == TOY_CLASSES
    assert np.array_equal(loaded.predict_proba(texts), fitted.predict_proba(texts))
    assert loaded.get_params()["learning_rate"] == fitted.learning_rate
    assert loaded.model_.config.id2label[4] == "other"
    assert loaded.model_.config.label2id["tech"] == 1
    # saving again over an existing folder replaces it and leaves no temporary folders behind
    fitted.save(target)
    assert sorted(p.name for p in target.parent.iterdir()) == ["v1"]


def test_pipeline_round_trip_uses_our_label_names(make_clf, toy, tmp_path):
    """The classifier objective's folder is a plain sequence classifier."""
    from transformers import pipeline

    texts, labels = toy
    clf = make_clf(objective="classifier").fit(texts, labels)
    assert clf.mean_head_ is None
    target = clf.save(tmp_path / "v1")
    assert not (target / "mean_head.npz").exists()
    pipe = pipeline("text-classification", model=str(target), device=-1)
    out = pipe(texts[:8])
    assert [row["label"] for row in out] == list(clf.predict(texts[:8]))
    assert np.allclose([row["score"] for row in out], clf.predict_proba(texts[:8]).max(axis=1), atol=1e-4)
    assert TransformerClassifier.load(target).objective == "classifier"


def test_mean_head_is_saved_beside_the_model_and_exports_to_a_plain_pipeline(fitted, toy, tmp_path):
    """The default objective predicts with the mean head; learner.export writes it into a folder
    a plain transformers pipeline scores the same."""
    from transformers import pipeline

    from learner.export import write_head_classifier

    texts = toy[0][:8]
    target = fitted.save(tmp_path / "v1")
    assert (target / "mean_head.npz").is_file()
    loaded = TransformerClassifier.load(target)
    assert loaded.objective == "mean_head" and loaded.mean_head_ is not None
    assert np.allclose(loaded.predict_proba(texts), fitted.predict_proba(texts), atol=1e-6)
    coef, intercept = fitted.mean_head_.weights()
    folder = write_head_classifier(target, coef, intercept, TOY_CLASSES, tmp_path / "export", max_length=64)
    out = pipeline("text-classification", model=str(folder), device=-1, top_k=None)(texts)
    scores = np.array([[next(r["score"] for r in row if r["label"] == c) for c in TOY_CLASSES] for row in out])
    assert np.allclose(scores, fitted.predict_proba(texts), atol=1e-4)


def test_mean_head_starts_from_the_head_on_the_starting_encoder(make_clf, toy):
    """The first step's loss is that of a fitted head, far below a fresh first-token layer's (~ln 5)."""
    texts, labels = toy
    mean_first, _ = _first_loss(make_clf(), "fit", texts, labels)
    cls_first, _ = _first_loss(make_clf(objective="classifier"), "fit", texts, labels)
    assert mean_first < 0.75 * cls_first


def test_min_steps_adds_epochs_on_few_texts(make_clf, toy):
    texts, labels = toy[0][:32], toy[1][:32]
    seen = []
    clf = make_clf(epochs=1, min_steps=7, train_batch_size=16).fit(texts, labels, callback=seen.append)
    assert [row["step"] for row in seen] == list(range(1, 8))
    assert seen[-1]["total"] == 7 and seen[-1]["epochs"] == 4  # 2 steps an epoch: 4 epochs, the last cut short
    assert clf.history_[-1]["steps"] == 7


def test_unknown_objective_is_a_clear_error(make_clf, toy):
    with pytest.raises(InputError, match="objective must be one of"):
        make_clf(objective="contrastive").fit(*toy)


def _first_loss(clf, method, texts, labels):
    seen = []
    getattr(clf, method)(texts, labels, callback=seen.append)
    return seen[0]["loss"], seen


@pytest.mark.parametrize("objective", ["classifier", "mean_head"])
def test_partial_fit_warm_starts_from_current_weights(make_clf, toy, tmp_path, objective):
    texts, labels = toy
    fresh_first, _ = _first_loss(make_clf(objective="classifier"), "fit", texts, labels)
    clf = make_clf(objective=objective).fit(texts, labels)
    trained_loss = clf.history_[-1]["loss"]
    head_before = clf.model_.classifier.weight.detach().clone()
    warm_first, _ = _first_loss(clf, "partial_fit", texts, labels)
    # a re-initialised head would start near the fresh loss (~ln 5); warm start starts near the trained loss
    assert warm_first < 0.75 * fresh_first
    assert abs(warm_first - trained_loss) < 0.5 * (fresh_first - trained_loss)
    assert [h["kind"] for h in clf.history_] == ["fit", "partial_fit"]
    if objective == "classifier":
        # the head moved on from its trained values instead of being replaced
        head_after = clf.model_.classifier.weight.detach()
        assert not np.allclose(head_before, head_after)
        assert float((head_after - head_before).norm()) < float(head_before.norm())

    # the same from a saved version: load, continue
    target = clf.save(tmp_path / "v2")
    loaded = TransformerClassifier.load(target)
    resumed_first, _ = _first_loss(loaded, "partial_fit", texts, labels)
    assert resumed_first < 0.75 * fresh_first


def test_partial_fit_on_unfitted_is_fit(make_clf, toy):
    texts, labels = toy[0][:48], toy[1][:48]
    a = make_clf(epochs=1).partial_fit(texts, labels)
    b = make_clf(epochs=1).fit(texts, labels)
    assert np.array_equal(a.predict_proba(texts), b.predict_proba(texts))


def test_same_seed_same_probabilities_on_cpu(make_clf, toy):
    texts, labels = toy[0][:48], toy[1][:48]
    p1 = make_clf(epochs=1, seed=7).fit(texts, labels).predict_proba(texts)
    p2 = make_clf(epochs=1, seed=7).fit(texts, labels).predict_proba(texts)
    p3 = make_clf(epochs=1, seed=8).fit(texts, labels).predict_proba(texts)
    assert np.array_equal(p1, p2)
    assert not np.allclose(p1, p3)


def test_progress_callback_reports_every_step(make_clf, toy):
    texts, labels = toy[0][:40], toy[1][:40]
    seen = []
    make_clf(epochs=2, train_batch_size=16).fit(texts, labels, callback=seen.append)
    assert [p["step"] for p in seen] == list(range(1, 7))  # 2 epochs x ceil(40/16)
    assert all(p["total"] == 6 for p in seen)
    assert [p["epoch"] for p in seen] == [1, 1, 1, 2, 2, 2]
    assert all(np.isfinite(p["loss"]) for p in seen)


def test_should_stop_cancels_between_steps(make_clf, toy):
    texts, labels = toy
    polls = []

    def stop_on_third_poll():
        polls.append(1)
        return len(polls) >= 3

    clf = make_clf()
    with pytest.raises(TrainingCancelled) as info:
        clf.fit(texts, labels, should_stop=stop_on_third_poll)
    assert info.value.step == 2 and info.value.total > 2
    with pytest.raises(NotFittedError):  # a cancelled fit leaves the classifier as it was
        clf.predict_proba(texts[:1])

    clf.fit(texts[:32], labels[:32])
    before = clf.predict_proba(texts)
    polls.clear()
    with pytest.raises(TrainingCancelled):
        clf.partial_fit(texts, labels, should_stop=stop_on_third_poll)
    assert np.array_equal(clf.predict_proba(texts), before)  # weights restored
    assert len(clf.history_) == 1


def test_inference_reports_every_batch_and_stops_when_the_callback_raises(fitted, toy):
    """The worker stops embedding within one batch (32 texts), not one chunk (512): SIGTERM is quick."""
    texts, _ = toy
    seen = []
    fitted.embed(texts, callback=lambda done, total: seen.append((done, total)))
    assert [total for _, total in seen] == [len(texts)] * len(seen) and seen[-1][0] == len(texts)
    assert len(seen) == -(-len(texts) // fitted.batch_size)

    class Stop(Exception):
        pass

    def stop_after_first(done, total):
        raise Stop

    with pytest.raises(Stop):
        fitted.predict_proba_and_embed(texts, callback=stop_after_first)


def test_clone_keeps_params_only(fitted):
    copy = clone(fitted)
    assert copy.get_params() == fitted.get_params()
    with pytest.raises(NotFittedError):
        copy.predict_proba(["x"])


# ------------------------------------------------------------------- bad input


def test_empty_training_list_is_a_clear_error(make_clf):
    with pytest.raises(ValueError, match="empty"):
        make_clf().fit([], [])


def test_length_mismatch_is_a_clear_error(make_clf):
    with pytest.raises(ValueError, match="3 texts but 2 labels"):
        make_clf().fit(["a", "b", "c"], ["tech", "food"])


def test_label_not_in_classes_is_named(make_clf, fitted, toy):
    with pytest.raises(UnknownLabelError, match="zebra") as info:
        make_clf().fit(["a", "b"], ["tech", "zebra"])
    assert isinstance(info.value, ValueError)
    with pytest.raises(ValueError, match="zebra"):
        clone(fitted).set_params(classes=TOY_CLASSES).fit(toy[0][:2], ["tech", "zebra"])


def test_partial_fit_with_unknown_label_is_an_error(make_clf, toy):
    clf = make_clf(epochs=1).fit(toy[0][:20], toy[1][:20])
    with pytest.raises(UnknownLabelError, match="zebra"):
        clf.partial_fit(["x"], ["zebra"])


def test_single_class_without_classes_is_a_clear_error(make_clf):
    with pytest.raises(InputError, match="at least two classes"):
        make_clf(classes=None).fit(["a", "b"], ["tech", "tech"])


@pytest.mark.parametrize("bad", ["just one string", None, ["fine", None], [1, 2]])
def test_non_text_inputs_are_clear_errors(fitted, bad):
    with pytest.raises(ValueError):
        fitted.predict_proba(bad)


def test_empty_and_huge_texts_are_scored(fitted):
    texts = ["", "x" * 100_000, "word " * 20_000, "The team won the final match."]
    proba, emb = fitted.predict_proba_and_embed(texts)
    assert proba.shape == (4, 5) and emb.shape == (4, 32)
    assert np.isfinite(proba).all() and np.isfinite(emb).all()
    assert np.allclose(proba.sum(axis=1), 1.0, atol=1e-5)


def test_training_on_huge_and_empty_texts_works(make_clf):
    clf = make_clf(epochs=1, max_length=64)
    clf.fit(["", "y" * 100_000, "storm hit the coast", "chef baked bread"], ["tech", "food", "weather", "food"])
    assert clf.predict_proba([""]).shape == (1, 5)


def test_scoring_an_empty_list_gives_empty_arrays(fitted):
    assert fitted.predict_proba([]).shape == (0, 5)
    assert fitted.embed([]).shape == (0, 32)
    assert fitted.predict([]).shape == (0,)


def test_unknown_device_and_missing_model_are_clear_errors(toy):
    from learner.errors import ModelLoadError

    with pytest.raises(ValueError):
        TransformerClassifier(device="no-such-device").embed(["x"])
    with pytest.raises(ModelLoadError):
        TransformerClassifier(model="/no/such/folder").fit(toy[0][:2], ["tech", "food"])
    with pytest.raises(ModelLoadError):
        TransformerClassifier.load("/no/such/folder")


def test_num_threads_applies_while_working_and_is_restored(make_clf, toy):
    import torch

    before = torch.get_num_threads()
    seen = []
    clf = make_clf(epochs=1, num_threads=2)
    clf.fit(toy[0][:16], toy[1][:16], callback=lambda p: seen.append(torch.get_num_threads()))
    assert set(seen) == {2}
    assert torch.get_num_threads() == before
    clf.predict_proba(toy[0][:4])
    assert torch.get_num_threads() == before
