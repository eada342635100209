"""From class probabilities to a published ranking, and evaluation on the reserved eval items."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from annotator.config import SETTINGS, Settings
from annotator.services.ranking import rank_positions, score_rows
from annotator.store.leases import Overlap
from annotator.store.versions import STAGE_CHUNK, ScoreRow, StoredHead
from learner.head import EmbeddingHead
from learner.linear_head import RowStats, head_proba
from learner.metrics import evaluate
from learner.strategies import get_strategy, uncertainty_scores

DIVERSE_BATCH = 100
# Strategies that choose a whole batch together: their picks head the ranking, the rest follows by
# their informativeness. margin_kmeans picks one labeling batch (``batch_size`` texts).
BATCH_STRATEGIES = ("diverse", "margin_kmeans")
# Inverse regularisation of the fast head (logistic regression on L2-normalised embeddings).
# Measured once on TREC-6 (MiniLM fine-tuned at 250 and 500 labels, 500 labels, test set of 500):
# C=1 -> 91.6% / macro-F1 0.77 (margin run), 86.0% / 0.71 (random run); C=10 -> 93.8% / 0.91 and
# 88.8% / 0.82. On the base encoder C=10 was within 1 point of C=1 with a higher macro-F1.
# Chosen on that test set, then checked on SMS spam and SUBJ, which played no part in the choice
# (random samples of 50-500 labels on the base encoder): C=10 is 3-6 points better than C=1 on SMS
# spam below 200 labels, and within 1.4 points either way on SUBJ (docs/benchmarks.md).
HEAD_C = 10.0


def fit_head(X: np.ndarray, ids: np.ndarray, train: list[tuple[int, str]], classes: list[str],
             prior: np.ndarray | None = None) -> EmbeddingHead:
    """The fast tier's head on the pool vectors ``X`` (rows in ``ids`` order) of the training labels
    ``(example_id, label)``, with the label-name prior when given: what a refresh fits, and what a
    fine-tune refits on its new encoder's vectors."""
    return EmbeddingHead(classes=classes, C=HEAD_C, prior=prior).fit(
        np.asarray(X[positions_of(ids, [e for e, _ in train])]), [label for _, label in train])


def stored_head(head: EmbeddingHead, encoder_version: int) -> StoredHead:
    """The fitted head as the version's stored predictor (see ``EmbeddingHead.linear``)."""
    coef, intercept = head.linear()
    return StoredHead(int(encoder_version), [str(c) for c in head.classes_], coef, intercept)


# metrics["predictor"]: what a version's figures, suggestions and export are of. The encoder under
# the head is the version's ``encoder_version`` (0 = the base model; a fine-tune's own number).
PREDICTOR = {"kind": "head"}


def done_ids(counts: dict[int, int], settings: Settings) -> set[int]:
    """Examples with all the labels they need (1, or overlap_k for overlap items)."""
    overlap = Overlap(settings.overlap_fraction, settings.overlap_k, settings.seed)
    return {e for e, n in counts.items() if n >= overlap.needed(e)}


def done_mask(ids: np.ndarray, counts: dict[int, int], settings: Settings) -> np.ndarray:
    """A boolean per pool position: labeled enough (see :func:`done_ids`)."""
    done = done_ids(counts, settings)
    return np.isin(ids, np.fromiter(done, dtype=np.int64, count=len(done)))


# Pools up to FULL_PUBLISH texts publish every score row with the version; larger ones publish the
# TOP_PUBLISHED best-ranked rows at once and the rest when the worker is idle, so a refresh at a
# million texts is not a million-row write. 5,000 rows are ten times what 20 annotators label
# between two refreshes (a batch of 25 each); past them the queue serves unscored texts by id
# until the rest is written. Publishing is paced for waiting annotators (store.versions), so
# each 1,000 rows cost about 2 chunk writes of time: 20,000 rows took 1.5-3.8 s at 1M.
FULL_PUBLISH = 50_000
TOP_PUBLISHED = 5_000
SCORE_CHUNK = 65_536
DIVERSE_CANDIDATES = 5_000


@dataclass
class PoolScores:
    """Per pool text: the predicted class (an index into the classes), its probability, and the
    strategy's informativeness (higher = asked first)."""

    predicted: np.ndarray
    confidence: np.ndarray
    informativeness: np.ndarray


def scores_of(proba: np.ndarray, strategy: str, seed: int, n_done: int) -> PoolScores:
    """PoolScores from a probability matrix (random: a fresh seeded draw per refresh)."""
    if strategy in ("random",):
        informativeness = np.random.default_rng(seed + n_done).random(len(proba))
    else:
        informativeness = uncertainty_scores("margin" if strategy == "diverse" else strategy, proba)
    return PoolScores(proba.argmax(axis=1).astype(np.int32), proba.max(axis=1).astype(np.float32),
                      np.asarray(informativeness, dtype=np.float64))


def score_pool(head: EmbeddingHead, X: np.ndarray, strategy: str, seed: int, n_done: int,
               chunk: int = SCORE_CHUNK, stats: RowStats | None = None) -> PoolScores:
    """:func:`scores_of` over the whole pool in chunks: memory holds one chunk of probabilities,
    not the pool's (X may be the memory-mapped cache). The head is applied in its linear form
    (:func:`learner.linear_head.head_proba`: one float32 product per chunk, no float64 copy of
    the rows); ``stats``: the rows' statistics when the caller keeps them between refreshes."""
    coef, intercept = head.linear()
    parts = [scores_of(head_proba(X[start:start + chunk], coef, intercept,
                                  stats=stats.part(start, start + chunk) if stats is not None else None),
                       strategy, seed, n_done)
             for start in range(0, len(X), chunk)]
    scores = PoolScores(*(np.concatenate([getattr(p, f) for p in parts]) for f in
                          ("predicted", "confidence", "informativeness")))
    if strategy == "random":  # one draw over the whole pool, not one per chunk
        scores.informativeness = np.random.default_rng(seed + n_done).random(len(X))
    return scores


@dataclass
class Ranking:
    """A version's ranking: ``top`` rows published with it, ``tail`` chunks of the rest (rank order)."""

    top: list[ScoreRow]
    tail: Iterator[list[ScoreRow]]
    n: int


def rank_pool(
    *,
    ids: np.ndarray,
    scores: PoolScores,
    embeddings: np.ndarray,
    classes: list[str],
    strategy: str,
    done: np.ndarray,
    estimator: Any,
    seed: int,
    top: int | None = None,
    batch_size: int = SETTINGS["batch_size"].default,
) -> Ranking:
    """Rank the pool: informativeness by ``strategy`` (``diverse`` puts a diverse batch of
    DIVERSE_BATCH of the most uncertain open texts first, ``margin_kmeans`` its ``batch_size``
    picks, then the rest by margin), texts labeled enough last; the suggestion of each row is the
    predicted class. ``top``: rows in ``Ranking.top`` (default: FULL_PUBLISH / TOP_PUBLISHED by the
    pool's size)."""
    ids = np.asarray(ids, dtype=np.int64)
    n = len(ids)
    first = None
    if strategy in BATCH_STRATEGIES:
        open_positions = np.flatnonzero(~done)
        if len(open_positions):
            candidates = open_positions[np.argsort(-scores.informativeness[open_positions], kind="stable")
                                        [:DIVERSE_CANDIDATES]]
            wanted = DIVERSE_BATCH if strategy == "diverse" else max(int(batch_size), 1)
            picks = get_strategy(strategy)(estimator, np.asarray(embeddings[candidates]),
                                           min(wanted, len(candidates)), random_state=seed)
            first = candidates[np.asarray(picks, dtype=np.int64)]
    order = rank_positions(n, done, scores.informativeness, first)
    names = np.asarray(classes, dtype=object)[scores.predicted]
    columns = {"informativeness": scores.informativeness, "predicted": names, "confidence": scores.confidence}
    if top is None:
        top = n if n <= FULL_PUBLISH else TOP_PUBLISHED
    top = min(top, n)

    def tail() -> Iterator[list[ScoreRow]]:
        for start in range(top, n, STAGE_CHUNK * 5):
            yield score_rows(ids, order[start:start + STAGE_CHUNK * 5], start, n, **columns)

    return Ranking(score_rows(ids, order[:top], 0, n, **columns), tail(), n)


def positions_of(ids: np.ndarray, wanted) -> np.ndarray:
    """Positions in the ascending ``ids`` of the ``wanted`` ids (which must be among them)."""
    return np.searchsorted(np.asarray(ids, dtype=np.int64), np.asarray(list(wanted), dtype=np.int64))


def eval_metrics(evals: list[tuple[int, str]], eval_proba: np.ndarray, classes: list[str]) -> dict[str, Any]:
    """accuracy, macro_f1, n_eval, confusion of ``eval_proba`` (one row per (example_id, label) of
    ``evals``, same order) on the labeled evaluation items (``{"n_eval": 0}`` if none)."""
    if not evals:
        return {"n_eval": 0}
    names = np.asarray(classes, dtype=object)
    y_pred = list(names[np.asarray(eval_proba).argmax(axis=1)])
    result = evaluate([label for _, label in evals], y_pred, classes)
    rows = evals
    return {
        "accuracy": float(result["accuracy"]),
        "macro_f1": float(result["macro_f1"]),
        "n_eval": len(rows),
        "confusion": result["confusion_matrix"],
        "per_class": result["per_class"],
    }
