"""Tokenise once, batch by length, pad per batch, put results back in order.

Scoring a pool is dominated by the encoder's work, which grows with the padded
length of each batch.  Sorting texts by token length before batching makes
every batch nearly uniform in length, so almost no compute is spent on
padding; results are scattered back to the caller's order at the end.

Texts longer than ``max_length`` tokens are truncated, never rejected.  Before
tokenising, a text is also clipped to ``max_length * CHARS_PER_TOKEN_CAP``
characters so a pathological multi-megabyte text costs no more than a long
one; a token almost never spans fewer than one character, so this clips only
text that truncation would drop anyway (a text that is mostly whitespace could
in theory yield fewer than ``max_length`` tokens after clipping).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .errors import InputError

CHARS_PER_TOKEN_CAP = 32
# Training batches are shuffled, but drawn from windows of this many batches
# that are sorted by length first: little padding, still random.
TRAIN_BUCKET_BATCHES = 50


def as_text_list(texts, *, what: str = "texts") -> list[str]:
    """Validate and copy ``texts`` into a list of str.

    Accepts any sequence or 1-D array (list, tuple, numpy object/str array,
    pandas Series).  ``None`` items and non-strings are errors: silently
    scoring ``"None"`` would hide a bug upstream.  An empty string is fine.
    """
    if texts is None:
        raise InputError(f"{what} must be a sequence of strings, not None")
    if isinstance(texts, (str, bytes)):
        raise InputError(f"{what} must be a sequence of strings, not a single string")
    if isinstance(texts, np.ndarray) and texts.ndim != 1:
        raise InputError(f"{what} must be one-dimensional, got an array of shape {texts.shape}")
    try:
        items = list(texts)
    except TypeError as exc:
        raise InputError(f"{what} must be a sequence of strings, got {type(texts).__name__}") from exc
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise InputError(f"{what}[{i}] is {type(item).__name__}, expected str")
    return items


def encode(tokenizer, texts: list[str], max_length: int) -> list[list[int]]:
    """Token ids (special tokens included, truncated to ``max_length``) for every text, in one call."""
    if max_length < 2:
        raise InputError(f"max_length must be at least 2, got {max_length}")
    cap = max_length * CHARS_PER_TOKEN_CAP
    clipped = [t if len(t) <= cap else t[:cap] for t in texts]
    if not clipped:
        return []
    encoded = tokenizer(
        clipped,
        truncation=True,
        max_length=max_length,
        padding=False,
        return_attention_mask=False,
        return_token_type_ids=False,
    )
    return encoded["input_ids"]


@dataclass
class Batch:
    """One padded batch: ``positions`` are indices into the caller's list."""

    positions: np.ndarray
    input_ids: np.ndarray  # (b, L) int64
    attention_mask: np.ndarray  # (b, L) int64

    def tensors(self, device, pin_memory: bool = False) -> dict:
        """The batch as torch tensors on ``device`` (pinned + non-blocking copy on CUDA)."""
        import torch

        out = {}
        for name in ("input_ids", "attention_mask"):
            tensor = torch.from_numpy(getattr(self, name))
            if pin_memory:
                tensor = tensor.pin_memory()
            out[name] = tensor.to(device, non_blocking=pin_memory)
        return out


def pad_batch(ids: list[list[int]], positions: np.ndarray, pad_id: int) -> Batch:
    """Pad the sequences at ``positions`` to the longest among them."""
    width = max(len(ids[p]) for p in positions)
    input_ids = np.full((len(positions), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(positions), width), dtype=np.int64)
    for row, p in enumerate(positions):
        seq = ids[p]
        input_ids[row, : len(seq)] = seq
        mask[row, : len(seq)] = 1
    return Batch(positions=np.asarray(positions, dtype=np.int64), input_ids=input_ids, attention_mask=mask)


def inference_batches(ids: list[list[int]], batch_size: int, pad_id: int) -> Iterator[Batch]:
    """Batches of ``batch_size`` sequences sorted by length, longest first.

    Longest first means the peak memory is hit (and any out-of-memory error
    raised) at the start rather than after minutes of work.
    """
    if batch_size < 1:
        raise InputError(f"batch_size must be positive, got {batch_size}")
    lengths = np.fromiter((len(s) for s in ids), dtype=np.int64, count=len(ids))
    order = np.argsort(-lengths, kind="stable")
    for start in range(0, len(order), batch_size):
        yield pad_batch(ids, order[start : start + batch_size], pad_id)


def training_batches(ids: list[list[int]], batch_size: int, pad_id: int, rng: np.random.Generator) -> list[Batch]:
    """One epoch of shuffled batches with little padding.

    The texts are shuffled, cut into windows of ``TRAIN_BUCKET_BATCHES``
    batches, each window is sorted by length and cut into batches, and the
    batch order is shuffled again.  Deterministic for a given ``rng`` state.
    """
    if batch_size < 1:
        raise InputError(f"train_batch_size must be positive, got {batch_size}")
    perm = rng.permutation(len(ids))
    window = batch_size * TRAIN_BUCKET_BATCHES
    groups = []
    for start in range(0, len(perm), window):
        chunk = perm[start : start + window]
        chunk = chunk[np.argsort([len(ids[p]) for p in chunk], kind="stable")]
        groups.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    return [pad_batch(ids, groups[g], pad_id) for g in rng.permutation(len(groups))]


def scatter(parts: list[np.ndarray], positions: list[np.ndarray], n: int) -> np.ndarray:
    """Put per-batch result rows back in the caller's order."""
    if not parts:
        raise InputError("nothing to scatter")
    out = np.empty((n,) + parts[0].shape[1:], dtype=parts[0].dtype)
    for rows, pos in zip(parts, positions):
        out[pos] = rows
    return out
