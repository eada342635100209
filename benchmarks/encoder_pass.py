"""One embedding pass of a bare encoder over pre-tokenised texts, as the worker's embedding does.

The texts are tokenised once (``learner.batching.encode``), then run in batches of similar
length padded to their own longest text (``learner.batching.inference_batches``) under
``torch.inference_mode``, mean-pooled and L2-normalised (``learner.mean_head.mean_pool``) and
put back in the caller's order: the steps of ``TransformerClassifier.embed`` before a model
is fitted. Keeping the tokenisation outside lets the benchmarks time the encoder alone and
give the same token ids to every encoder they compare (fp32 and int8), and ``batch_shapes``
lists the exact ``(rows, padded length, real tokens)`` of every batch so FLOPs can be
counted for the work actually done.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Tokenised:
    """Token ids of some texts, with what is needed to batch them."""

    ids: list[list[int]]
    pad_id: int
    batch_size: int


def tokenise(tokenizer, texts: list[str], *, max_length: int, batch_size: int) -> Tokenised:
    """Token ids of ``texts`` truncated to ``max_length``, batched ``batch_size`` at a time later."""
    from learner.batching import encode

    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    return Tokenised(encode(tokenizer, texts, max_length), pad_id, batch_size)


def batch_shapes(tokens: Tokenised) -> list[tuple[int, int, int]]:
    """``(rows, padded length, real tokens)`` of every batch :func:`embed_tokens` runs."""
    from learner.batching import inference_batches

    return [(len(b.positions), b.input_ids.shape[1], int(b.attention_mask.sum()))
            for b in inference_batches(tokens.ids, tokens.batch_size, tokens.pad_id)]


def embed_tokens(encoder, tokens: Tokenised) -> np.ndarray:
    """``(n, d)`` float32 mean-pooled, unit-length embeddings of the tokenised texts by ``encoder``."""
    import torch

    from learner.batching import inference_batches, scatter
    from learner.mean_head import mean_pool

    parts, positions = [], []
    with torch.inference_mode():
        for batch in inference_batches(tokens.ids, tokens.batch_size, tokens.pad_id):
            inputs = batch.tensors("cpu")
            hidden = encoder(**inputs).last_hidden_state
            parts.append(mean_pool(hidden, inputs["attention_mask"]).numpy())
            positions.append(batch.positions)
    return scatter(parts, positions, len(tokens.ids))


def load(model: str | None):
    """The bare fp32 encoder (eval mode, CPU) and its fast tokenizer, as the loop loads them."""
    from learner.models import load_encoder, load_tokenizer, resolve_model

    source = resolve_model(model)
    return load_encoder(source), load_tokenizer(source)
