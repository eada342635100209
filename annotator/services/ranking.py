"""Turning model outputs into a ranked queue (numpy only: the UI may import it).

A ranking covers every example of the pool: items that still need labels
come first, most informative first; items labeled enough come last, so the
queue's walk down the ranks never passes them. Every row keeps the model's
suggestion (predicted label, confidence) for the UI and for lead reviews.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from annotator.store.project import Project
from annotator.store.trainset import current_label_counts, max_label_id, pool
from annotator.store.versions import ScoreRow, current_version


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


def publish_random_ranking(project: Project) -> int | None:
    """Before any version exists: publish a seeded random order of the pool, which needs no model and
    no embeddings, so the queue walks an index from the first text on while the worker embeds the pool
    for its first real ranking. Returns the version (None: a version exists, or the pool is empty)."""
    from annotator.services.settings import get_settings
    from annotator.services.training.scoring import done_ids
    from annotator.services.versions import publish

    if current_version(project.db) is not None:
        return None
    settings = get_settings(project.db)
    ids, _, _ = pool(project.db)
    if not ids:
        return None
    overlap_done = done_ids(current_label_counts(project.db), settings)
    rows = build_scores(ids, done=overlap_done, order=random_order(len(ids), settings.seed))
    return publish(project, kind="coldstart", strategy="random", scores=rows, encoder_version=None,
                   watermark=max_label_id(project.db))
