"""Fixtures for the learner tests: a tiny BERT built once per session and toy data.

This folder is the package ``tests.learner`` (tests/ is a package), so it never
shadows the real ``learner`` package.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.tiny_bert import tiny_corpus

TOY_CLASSES = ["weather", "tech", "sports", "food", "other"]  # "other" never occurs in the toy data
FAST = dict(epochs=4, learning_rate=1e-2, warmup_ratio=0.0, train_batch_size=16, seed=0)


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Tiny models run faster on one thread, and far faster on a shared, busy CPU.

    Set per test and restored afterwards, so other test folders are unaffected.
    """
    from learner.devices import torch_threads

    with torch_threads(1):
        yield


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny BERT folder (WordPiece tokenizer + 2-layer, 32-wide BertModel)."""
    from benchmarks.tiny_bert import build_tiny_bert

    return build_tiny_bert(tmp_path_factory.mktemp("learner-tiny") / "tiny-bert")


@pytest.fixture(scope="session")
def toy():
    """120 generated (text, topic) examples over four topics."""
    rows = tiny_corpus(120, seed=1)
    return [t for t, _ in rows], [y for _, y in rows]


@pytest.fixture(scope="session")
def fitted(tiny_bert, toy):
    """A tiny classifier fitted on the toy data with the five TOY_CLASSES. Do not mutate it."""
    from learner.classifier import TransformerClassifier
    from learner.devices import torch_threads

    texts, labels = toy
    with torch_threads(1):
        return TransformerClassifier(model=tiny_bert, classes=TOY_CLASSES, **FAST).fit(texts, labels)


@pytest.fixture
def make_clf(tiny_bert):
    """Factory for fresh tiny classifiers with the fast settings; keyword overrides win."""
    from learner.classifier import TransformerClassifier

    def make(**overrides):
        params = dict(FAST, model=tiny_bert, classes=TOY_CLASSES)
        params.update(overrides)
        return TransformerClassifier(**params)

    return make
