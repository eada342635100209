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


def rank_positions(n: int, done: np.ndarray, informativeness: np.ndarray | None = None,
                   first: Sequence[int] | None = None) -> np.ndarray:
    """Positions 0..n-1 in rank order: ``first`` (a strategy's picks, in order), then by
    ``informativeness`` descending (else pool order); items still needing labels before the ``done``
    ones (a boolean mask)."""
    base = (np.argsort(-np.asarray(informativeness, dtype=float), kind="stable") if informativeness is not None
            else np.arange(n))
    if first is not None and len(first):
        picked = np.asarray([int(p) for p in dict.fromkeys(first) if 0 <= int(p) < n], dtype=np.int64)
        rest = np.ones(n, dtype=bool)
        rest[picked] = False
        base = np.concatenate([picked, base[rest[base]]])
    done = np.asarray(done, dtype=bool)
    return np.concatenate([base[~done[base]], base[done[base]]])


def score_rows(ids: np.ndarray, positions: np.ndarray, start_rank: int, n: int, *,
               informativeness: np.ndarray | None = None, predicted: np.ndarray | None = None,
               confidence: np.ndarray | None = None) -> list[ScoreRow]:
    """Score rows for ``positions`` holding ranks ``start_rank``, ``start_rank + 1``, ...

    ``score`` is the informativeness, or ``1 - rank / n`` for a pure order (a cold start);
    ``predicted`` (label names) and ``confidence`` are the suggestion shown with the text.
    """
    ranks = np.arange(start_rank, start_rank + len(positions))
    scores = (1.0 - ranks / n) if informativeness is None else np.asarray(informativeness, dtype=float)[positions]
    labels = [None] * len(positions) if predicted is None else np.asarray(predicted, dtype=object)[positions].tolist()
    confs = [None] * len(positions) if confidence is None else np.asarray(confidence, dtype=float)[positions].tolist()
    return list(zip(np.asarray(ids)[positions].tolist(), ranks.tolist(), scores.tolist(), labels, confs))


def build_scores(
    ids: Sequence[int],
    *,
    done: set[int],
    informativeness: np.ndarray | None = None,
    order: Sequence[int] | None = None,
    predicted: Sequence[str | None] | None = None,
    confidence: np.ndarray | None = None,
) -> list[ScoreRow]:
    """Every example's score row (see :func:`rank_positions` and :func:`score_rows`)."""
    ids = np.asarray(ids, dtype=np.int64)
    done_mask = np.isin(ids, np.fromiter(done, dtype=np.int64, count=len(done)))
    positions = rank_positions(len(ids), done_mask, informativeness, order)
    return score_rows(ids, positions, 0, len(ids), informativeness=informativeness,
                      predicted=None if predicted is None else np.asarray(predicted, dtype=object),
                      confidence=confidence)


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
