"""Synthetic data for the speed and load benchmarks: texts, data files and embeddings.

Generated on the fly from a seed, so a run needs no downloaded data and two
runs see the same input. Texts are made of pseudo-words with a spread of
lengths (5 to 60 words) so dynamic padding has something to do, like real
tickets or reviews. They carry no meaning: use them for speed, never for accuracy.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

_SYLLABLES = (
    "ka ri to na me su lo pe vi da ne mo ta shi ro ba ge fu ki ha "
    "an el or um is at en ol ar in us ex pro con tra per sub"
).split()


def _vocabulary(rng: np.random.Generator, size: int = 2000) -> list[str]:
    words = set()
    while len(words) < size:
        parts = rng.choice(_SYLLABLES, size=int(rng.integers(1, 4)))
        words.add("".join(parts))
    return sorted(words)


def synthetic_texts(n: int, seed: int = 0, min_words: int = 5, max_words: int = 60) -> Iterator[str]:
    """Yield ``n`` distinct pseudo-sentences (a serial number keeps them unique)."""
    rng = np.random.default_rng(seed)
    vocab = np.array(_vocabulary(rng))
    # Word frequencies roughly Zipf-like; lengths skewed towards short texts.
    weights = 1.0 / np.arange(1, len(vocab) + 1)
    weights /= weights.sum()
    chunk = 10_000
    produced = 0
    while produced < n:
        size = min(chunk, n - produced)
        lengths = np.clip(rng.gamma(2.0, 9.0, size=size).astype(int), min_words, max_words)
        words = rng.choice(len(vocab), size=int(lengths.sum()), p=weights)
        start = 0
        for length in lengths:
            body = " ".join(vocab[words[start:start + length]])
            start += length
            yield f"{body} {produced}."
            produced += 1


def synthetic_labels(n: int, labels: list[str], seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed + 1)
    return [labels[i] for i in rng.integers(0, len(labels), size=n)]


def write_synthetic_file(
    path: str | os.PathLike, n: int, labels: list[str] | None = None, seed: int = 0
) -> Path:
    """Write ``n`` rows ``id,text[,label]`` as CSV or JSONL (by extension), streaming."""
    path = Path(path)
    label_list = synthetic_labels(n, labels, seed) if labels else None
    texts = synthetic_texts(n, seed)
    if path.suffix == ".jsonl":
        with path.open("w", encoding="utf-8") as out:
            for i, text in enumerate(texts):
                row = {"id": f"s{i}", "text": text}
                if label_list:
                    row["label"] = label_list[i]
                out.write(json.dumps(row) + "\n")
    else:
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["id", "text"] + (["label"] if label_list else []))
            for i, text in enumerate(texts):
                writer.writerow([f"s{i}", text] + ([label_list[i]] if label_list else []))
    return path


def random_embeddings(n: int, dim: int = 384, seed: int = 0) -> np.ndarray:
    """``(n, dim)`` float32 unit vectors: a stand-in for an encoder's pool embeddings."""
    rng = np.random.default_rng(seed)
    matrix = rng.standard_normal((n, dim), dtype=np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix
