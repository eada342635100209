"""From class probabilities to a published ranking, and evaluation on the reserved eval items."""

from __future__ import annotations

from typing import Any

import numpy as np

from annotator.config import Settings
from annotator.services.ranking import build_scores
from annotator.store.leases import Overlap
from annotator.store.versions import StoredHead
from learner.head import EmbeddingHead
from learner.metrics import evaluate
from learner.strategies import get_strategy, uncertainty_scores

DIVERSE_BATCH = 100
# Inverse regularisation of the fast head (logistic regression on L2-normalised embeddings).
# Measured once on TREC-6 (MiniLM fine-tuned at 250 and 500 labels, 500 labels, test set of 500):
# C=1 -> 91.6% / macro-F1 0.77 (margin run), 86.0% / 0.71 (random run); C=10 -> 93.8% / 0.91 and
# 88.8% / 0.82. On the base encoder C=10 was within 1 point of C=1 with a higher macro-F1.
# Chosen on that test set, then checked on SMS spam and SUBJ, which played no part in the choice
# (random samples of 50-500 labels on the base encoder): C=10 is 3-6 points better than C=1 on SMS
# spam below 200 labels, and within 1.4 points either way on SUBJ (docs/benchmarks.md).
HEAD_C = 10.0


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


def rank_pool(
    *,
    ids: list[int],
    proba: np.ndarray,
    embeddings: np.ndarray,
    classes: list[str],
    strategy: str,
    done: set[int],
    estimator: Any,
    seed: int,
) -> list[tuple]:
    """Score rows for every example: informativeness by ``strategy``, suggestion = argmax class.

    ``diverse`` puts a diverse batch (modAL batch sampling over embeddings) of
    the open items first, then the rest by margin.
    """
    names = np.asarray(classes, dtype=object)
    predicted = list(names[proba.argmax(axis=1)])
    confidence = proba.max(axis=1)
    if strategy == "diverse":
        informativeness = uncertainty_scores("margin", proba)
        open_positions = np.asarray([i for i, e in enumerate(ids) if e not in done], dtype=np.int64)
        order = None
        if len(open_positions):
            picks = get_strategy("diverse")(
                estimator, embeddings[open_positions], min(DIVERSE_BATCH, len(open_positions)), random_state=seed
            )
            order = open_positions[np.asarray(picks, dtype=np.int64)]
        return build_scores(ids, done=done, informativeness=informativeness, order=order,
                            predicted=predicted, confidence=confidence)
    # random: a fresh seeded draw per refresh (the seed advances with the labels)
    informativeness = uncertainty_scores(strategy, proba, random_state=seed + len(done))
    return build_scores(ids, done=done, informativeness=informativeness, predicted=predicted,
                        confidence=confidence)


def eval_metrics(
    evals: list[tuple[int, str, str]], ids: list[int], proba: np.ndarray, classes: list[str]
) -> dict[str, Any]:
    """accuracy, macro_f1, n_eval, confusion on the labeled evaluation items (empty if none)."""
    index = {e: i for i, e in enumerate(ids)}
    rows = [(index[e], label) for e, _, label in evals if e in index]
    if not rows:
        return {"n_eval": 0}
    positions = np.asarray([p for p, _ in rows])
    names = np.asarray(classes, dtype=object)
    y_pred = list(names[proba[positions].argmax(axis=1)])
    result = evaluate([label for _, label in rows], y_pred, classes)
    return {
        "accuracy": float(result["accuracy"]),
        "macro_f1": float(result["macro_f1"]),
        "n_eval": len(rows),
        "confusion": result["confusion_matrix"],
        "per_class": result["per_class"],
    }
