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
    assert list(ids) == [1, 2, 3, 7] and vectors.shape == (4, 4)  # stored by id
    assert isinstance(vectors, np.memmap) and not vectors.flags.writeable
    # the cache holding exactly the pool is returned as it is, memory-mapped, with no text read
    same = ensure_embeddings(tmp_path, 0, [1, 2, 3, 7], lambda missing: 1 / 0, embed)
    assert isinstance(same, np.memmap) and calls == [3, 1]
    assert load_embeddings(tmp_path, 5) is None


def test_a_cache_of_the_earlier_format_is_read_and_rewritten(tmp_path):
    folder = tmp_path / "embeddings"
    folder.mkdir()
    np.savez(folder / "enc_v0.npz", ids=np.array([5, 2]), vectors=np.array([[5.0, 5.0], [2.0, 2.0]], dtype=np.float32))
    ids, vectors = load_embeddings(tmp_path, 0)
    assert list(ids) == [2, 5] and vectors[0, 0] == 2.0
    assert not (folder / "enc_v0.npz").exists() and (folder / "enc_v0" / "vectors.npy").is_file()
