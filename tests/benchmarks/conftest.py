"""Fixtures for the benchmark smoke tests: a tiny dataset folder in the benchmark format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``train.jsonl`` (240 rows) and ``test.jsonl`` (60 rows) of the tiny four-topic corpus."""
    from benchmarks.tiny_bert import tiny_corpus

    folder = tmp_path_factory.mktemp("data") / "toy"
    folder.mkdir()
    rows = tiny_corpus(300, seed=1)
    seen, unique = set(), []
    for text, label in rows:
        if text not in seen:
            seen.add(text)
            unique.append((text, label))
    split = int(len(unique) * 0.8)
    for name, part in (("train.jsonl", unique[:split]), ("test.jsonl", unique[split:])):
        with (folder / name).open("w", encoding="utf-8") as out:
            for text, label in part:
                out.write(json.dumps({"text": text, "label": label}) + "\n")
    return folder
