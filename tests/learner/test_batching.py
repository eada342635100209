"""Tokenise once, sort by length, pad per batch, restore the order, truncate."""

from __future__ import annotations

import numpy as np
import pytest

from learner.batching import (
    as_text_list,
    encode,
    inference_batches,
    pad_batch,
    scatter,
    training_batches,
)


@pytest.fixture(scope="module")
def tokenizer(tiny_bert):
    from learner.models import load_tokenizer

    return load_tokenizer(str(tiny_bert))


TEXTS = ["a b c d e f g h", "", "the team won", "x " * 300, "chef", "rain hit the coast today ok"]


def test_encode_truncates_to_max_length(tokenizer):
    ids = encode(tokenizer, TEXTS, max_length=16)
    full = [len(tokenizer(t)["input_ids"]) for t in TEXTS]
    assert full[3] > 16
    assert [len(s) for s in ids] == [min(n, 16) for n in full]
    assert all(s[0] == tokenizer.cls_token_id and s[-1] == tokenizer.sep_token_id for s in ids)


def test_a_100k_character_text_is_truncated(tokenizer):
    ids = encode(tokenizer, ["word " * 20_000, "zz " * 50_000, "z" * 100_000], max_length=128)
    assert [len(s) for s in ids][:2] == [128, 128]
    assert 3 <= len(ids[2]) <= 128  # one 100k-char "word": WordPiece maps over-long words to [UNK]


def test_batches_are_length_sorted_and_padded_per_batch(tokenizer):
    ids = encode(tokenizer, TEXTS, max_length=64)
    batches = list(inference_batches(ids, batch_size=2, pad_id=0))
    widths = [b.input_ids.shape[1] for b in batches]
    assert widths == sorted(widths, reverse=True)  # longest first
    assert widths[-1] < widths[0]  # short texts are not padded to the longest overall
    for b in batches:
        lengths = [len(ids[p]) for p in b.positions]
        assert b.input_ids.shape[1] == max(lengths)
        assert b.attention_mask.sum(axis=1).tolist() == lengths
        for row, p in enumerate(b.positions):
            assert b.input_ids[row, : len(ids[p])].tolist() == ids[p]
            assert (b.input_ids[row, len(ids[p]) :] == 0).all()
    covered = np.concatenate([b.positions for b in batches])
    assert sorted(covered.tolist()) == list(range(len(TEXTS)))


def test_scatter_restores_the_original_order(tokenizer):
    ids = encode(tokenizer, TEXTS, max_length=64)
    batches = list(inference_batches(ids, batch_size=4, pad_id=0))
    lengths = scatter(
        [b.attention_mask.sum(axis=1)[:, None] for b in batches], [b.positions for b in batches], len(TEXTS)
    )
    assert lengths[:, 0].tolist() == [len(s) for s in ids]


def test_training_batches_cover_each_item_once_and_are_seeded(tokenizer):
    ids = encode(tokenizer, TEXTS * 10, max_length=32)
    epoch = training_batches(ids, 8, 0, np.random.default_rng(0))
    positions = np.concatenate([b.positions for b in epoch])
    assert sorted(positions.tolist()) == list(range(len(ids)))
    assert max(len(b.positions) for b in epoch) <= 8
    again = training_batches(ids, 8, 0, np.random.default_rng(0))
    assert all(np.array_equal(a.positions, b.positions) for a, b in zip(epoch, again))
    other = training_batches(ids, 8, 0, np.random.default_rng(1))
    assert not all(np.array_equal(a.positions, b.positions) for a, b in zip(epoch, other))


def test_pad_batch_uses_the_pad_id():
    batch = pad_batch([[1, 2, 3], [4]], np.array([1, 0]), pad_id=9)
    assert batch.input_ids.tolist() == [[4, 9, 9], [1, 2, 3]]
    assert batch.attention_mask.tolist() == [[1, 0, 0], [1, 1, 1]]


def test_text_validation():
    assert as_text_list(("a", "")) == ["a", ""]
    assert as_text_list(np.array(["a", "b"], dtype=object)) == ["a", "b"]
    for bad in (None, "one string", ["a", None], [b"bytes"], np.array([["a"]]), 5):
        with pytest.raises(ValueError):
            as_text_list(bad)
