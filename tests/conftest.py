"""Fixtures shared by every test folder: a fresh project and a tiny local BERT."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.services.projects import create_project


@pytest.fixture
def project(tmp_path: Path):
    """A new project folder in tmp_path with the labels pos, neg, neutral."""
    with create_project(tmp_path / "proj", ["pos", "neg", "neutral"]) as opened:
        yield opened


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny BERT (WordPiece tokenizer + 2-layer config) built locally once per session."""
    from benchmarks.tiny_bert import build_tiny_bert

    return build_tiny_bert(tmp_path_factory.mktemp("tiny") / "tiny-bert")
