"""annotator.services.training.embeddings: the pool's embeddings cache grows by what is new."""

from __future__ import annotations

import numpy as np

from annotator.services.training.embeddings import ensure_embeddings, load_embeddings


def test_embeddings_are_incremental(tmp_path):
    calls = []

    def embed(texts):
        calls.append(len(texts))
        return np.ones((len(texts), 4), dtype=np.float32) * len(calls)

    first = ensure_embeddings(tmp_path, 0, [1, 2, 3], ["a", "b", "c"], embed)
    again = ensure_embeddings(tmp_path, 0, [3, 1, 2, 7], ["c", "a", "b", "z"], embed)
    assert calls == [3, 1]
    assert np.array_equal(again[:3], first[[2, 0, 1]]) and again[3, 0] == 2.0
    ids, vectors = load_embeddings(tmp_path, 0)
    assert list(ids) == [3, 1, 2, 7] and vectors.shape == (4, 4)
    assert load_embeddings(tmp_path, 5) is None
