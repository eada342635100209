"""learner.export: the head and its encoder as one standard transformers classifier, exact."""

from __future__ import annotations

import json

import numpy as np
import pytest

from learner.errors import ModelLoadError
from learner.export import ExportError, read_label_thresholds, write_head_classifier
from learner.head import EmbeddingHead

CLASSES = ["weather", "tech", "sports", "food", "other"]  # "other" never occurs in the toy data


def _probabilities(pipe_output, classes):
    return np.array([[d["score"] for d in sorted(row, key=lambda d: classes.index(d["label"]))]
                     for row in pipe_output])


@pytest.fixture(scope="module")
def head_and_texts(tiny_bert, toy):
    from learner.classifier import TransformerClassifier

    texts, labels = toy
    encoder = TransformerClassifier(model=tiny_bert, device="cpu")
    embeddings = encoder.embed(texts)
    return EmbeddingHead(classes=CLASSES, C=10).fit(embeddings, labels), texts, embeddings


def test_pipeline_gives_the_heads_probabilities(tiny_bert, head_and_texts, tmp_path):
    from transformers import pipeline

    head, texts, embeddings = head_and_texts
    coef, intercept = head.linear()
    folder = write_head_classifier(tiny_bert, coef, intercept, CLASSES, tmp_path / "model", max_length=64,
                                   metadata={"version": 3})
    classify = pipeline("text-classification", model=str(folder), top_k=None, truncation=True, device="cpu")
    got = _probabilities(classify(texts[:30]), CLASSES)
    assert np.abs(got - head.predict_proba(embeddings[:30])).max() < 1e-4
    assert np.all(got[:, CLASSES.index("other")] < 1e-6)  # a class never seen stays at 0
    config = json.loads((folder / "config.json").read_text())
    assert config["architectures"] == ["BertForSequenceClassification"]
    assert config["id2label"]["1"] == "tech" and config["num_hidden_layers"] == 3  # 2 + the pooling layer
    assert json.loads((folder / "tokenizer_config.json").read_text())["model_max_length"] == 64
    meta = json.loads((folder / "labelloop.json").read_text())
    assert meta["classes"] == CLASSES and meta["version"] == 3 and meta["params"]["max_length"] == 64


def test_padded_batches_and_our_loader_agree(tiny_bert, head_and_texts, tmp_path):
    """Padding is masked out of the pooling: batched inference of mixed lengths is exact too."""
    from learner.classifier import TransformerClassifier

    head, texts, embeddings = head_and_texts
    folder = write_head_classifier(tiny_bert, *head.linear(), CLASSES, tmp_path / "model", max_length=64)
    mixed = [texts[0], texts[1] + " and " + texts[2] + " and " + texts[3], "rain"]
    loaded = TransformerClassifier.load(folder, device="cpu")
    encoder = TransformerClassifier(model=tiny_bert, device="cpu")
    assert np.abs(loaded.predict_proba(mixed) - head.predict_proba(encoder.embed(mixed))).max() < 1e-4


def test_a_two_class_head(tiny_bert, toy, tmp_path):
    from transformers import pipeline

    from learner.classifier import TransformerClassifier

    texts, labels = toy
    binary = ["sports" if label == "sports" else "rest" for label in labels]
    embeddings = TransformerClassifier(model=tiny_bert, device="cpu").embed(texts)
    head = EmbeddingHead(classes=["rest", "sports"], C=10).fit(embeddings, binary)
    folder = write_head_classifier(tiny_bert, *head.linear(), ["rest", "sports"], tmp_path / "m", max_length=64)
    got = _probabilities(pipeline("text-classification", model=str(folder), top_k=None, device="cpu")(texts[:20]),
                         ["rest", "sports"])
    assert np.abs(got - head.predict_proba(embeddings[:20])).max() < 1e-4


def test_a_roberta_encoder(tiny_bert, toy, tmp_path):
    """RoBERTa-style models classify through their own dense layer: the same construction holds."""
    import shutil

    from transformers import RobertaConfig, RobertaModel, pipeline

    from learner.classifier import TransformerClassifier

    config = RobertaConfig(vocab_size=1000, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                           intermediate_size=64, max_position_embeddings=300, pad_token_id=0)
    folder = tmp_path / "tiny-roberta"
    RobertaModel(config).save_pretrained(folder)
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt"):
        if (tiny_bert / name).is_file():
            shutil.copy(tiny_bert / name, folder / name)
    texts, labels = toy
    embeddings = TransformerClassifier(model=folder, device="cpu").embed(texts)
    head = EmbeddingHead(classes=CLASSES, C=10).fit(embeddings, labels)
    out = write_head_classifier(folder, *head.linear(), CLASSES, tmp_path / "out", max_length=64)
    assert json.loads((out / "config.json").read_text())["architectures"] == ["RobertaForSequenceClassification"]
    got = _probabilities(pipeline("text-classification", model=str(out), top_k=None, device="cpu")(texts[:20]),
                         CLASSES)
    assert np.abs(got - head.predict_proba(embeddings[:20])).max() < 1e-4


def test_unsupported_or_mismatched_inputs_are_clear_errors(tiny_bert, head_and_texts, tmp_path):
    head, _, _ = head_and_texts
    coef, intercept = head.linear()
    with pytest.raises(ExportError, match="does not fit"):
        write_head_classifier(tiny_bert, coef[:, :5], intercept, CLASSES, tmp_path / "a", max_length=64)
    with pytest.raises(ExportError, match="NaN"):
        write_head_classifier(tiny_bert, coef * np.nan, intercept, CLASSES, tmp_path / "b", max_length=64)
    other = tmp_path / "mpnet"
    other.mkdir()
    (other / "config.json").write_text(json.dumps({"model_type": "mpnet", "hidden_size": 32}))
    with pytest.raises(ExportError, match="not 'mpnet'"):
        write_head_classifier(other, coef, intercept, CLASSES, tmp_path / "c", max_length=64)
    assert not any(p.name.startswith((".a", ".b", ".c", "a", "b", "c")) for p in tmp_path.iterdir())


def test_head_linear_form_matches_predict_proba():
    from learner.head import head_features

    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 16))
    for labels, classes in (
        (rng.choice(["a", "b"], 120), ["a", "b", "never"]),
        (rng.choice(["a", "b", "c", "d"], 120), ["d", "c", "b", "a"]),
        (np.array(["a"] * 120), ["b", "a"]),
    ):
        head = EmbeddingHead(classes=classes).fit(X, labels)
        coef, intercept = head.linear()
        logits = head_features(X) @ coef.T + intercept
        proba = np.exp(logits - logits.max(axis=1, keepdims=True))
        proba /= proba.sum(axis=1, keepdims=True)
        assert np.abs(proba - head.predict_proba(X)).max() < 1e-12


def test_a_multi_label_head_loads_with_pipeline_and_gives_sigmoid_scores(tiny_bert, toy, tmp_path):
    """problem_type multi_label_classification: pipeline's scores are each label's sigmoid, the head's own."""
    from transformers import pipeline

    from learner.classifier import TransformerClassifier
    from learner.multi_label_head import MultiLabelHead

    texts, labels = toy
    embeddings = TransformerClassifier(model=tiny_bert, device="cpu").embed(texts)
    sets = [[label] + (["long"] if len(text) > 40 else []) for text, label in zip(texts, labels)]
    classes = [*CLASSES, "long"]
    head = MultiLabelHead(classes=classes, C=10).fit(embeddings, sets)
    folder = write_head_classifier(tiny_bert, *head.linear(), classes, tmp_path / "ml", max_length=64,
                                   thresholds=list(head.thresholds_))
    config = json.loads((folder / "config.json").read_text())
    assert config["problem_type"] == "multi_label_classification"
    assert config["label_thresholds"] == {c: float(t) for c, t in zip(classes, head.thresholds_)}
    classify = pipeline("text-classification", model=str(folder), top_k=None, truncation=True, device="cpu")
    got = _probabilities(classify(texts[:20]), classes)
    assert np.abs(got - head.predict_proba(embeddings[:20])).max() < 1e-4
    assert not np.allclose(got.sum(axis=1), 1.0)  # sigmoid per label, not a softmax
    meta = json.loads((folder / "labelloop.json").read_text())
    assert meta["multi_label"] is True and meta["thresholds"] == [float(t) for t in head.thresholds_]
    loaded = TransformerClassifier.load(folder, device="cpu")
    assert np.abs(loaded.predict_proba(texts[:20]) - got).max() < 1e-4
    assert read_label_thresholds(folder, classes).tolist() == [float(t) for t in head.thresholds_]
    # a checkpoint without our labelloop.json: the config's thresholds; a count that does not fit is refused
    (folder / "labelloop.json").unlink()
    assert read_label_thresholds(folder, classes).tolist() == [float(t) for t in head.thresholds_]
    with pytest.raises(ModelLoadError, match="3 thresholds for 6 labels"):
        (folder / "labelloop.json").write_text(json.dumps({"thresholds": [0.5, 0.5, 0.5]}))
        read_label_thresholds(folder, classes)
