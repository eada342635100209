"""Turning model outputs into a ranked queue (numpy only: the UI may import it).

A ranking covers every example of the pool: items that still need labels
come first, most informative first; items labeled enough come last, so the
queue's walk down the ranks never passes them. Every row keeps the model's
suggestion (predicted label, confidence) for the UI and for lead reviews.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from annotator.store.versions import ScoreRow


def build_scores(
    ids: Sequence[int],
    *,
    done: set[int],
    informativeness: np.ndarray | None = None,
    order: Sequence[int] | None = None,
    predicted: Sequence[str | None] | None = None,
    confidence: np.ndarray | None = None,
) -> list[ScoreRow]:
    """Rank ``ids`` (positions into them via ``order``, or by ``informativeness`` descending).

    ``order`` may list only some positions (a strategy's top picks); the rest
    follow by ``informativeness`` if given, else in pool order. A score row's
    ``score`` is the informativeness, or ``1 - rank / n`` for a pure order.
    """
    n = len(ids)
    if informativeness is not None:
        by_score = list(np.argsort(-np.asarray(informativeness, dtype=float), kind="stable"))
    else:
        by_score = list(range(n))
    if order is not None:
        seen = set()
        first = []
        for position in order:
            position = int(position)
            if position not in seen and 0 <= position < n:
                seen.add(position)
                first.append(position)
        ranked = first + [p for p in by_score if p not in seen]
    else:
        ranked = by_score
    todo = [p for p in ranked if ids[p] not in done]
    finished = [p for p in ranked if ids[p] in done]
    rows: list[ScoreRow] = []
    for rank, position in enumerate(todo + finished):
        # without informativeness (a cold-start order) the score is the position: 1 first, -> 0 last
        score = (1.0 - rank / n) if informativeness is None else float(informativeness[position])
        label = None if predicted is None else predicted[position]
        conf = None if confidence is None else float(confidence[position])
        rows.append((int(ids[position]), rank, score, label, conf))
    return rows


def random_order(n: int, seed: int) -> np.ndarray:
    """A seeded permutation of range(n): the cold-start order without embeddings."""
    return np.random.default_rng(seed).permutation(n)
