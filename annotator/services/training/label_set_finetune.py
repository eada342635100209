"""The fine-tuned tier of a multi-label project: the transformer learns the label sets, and the
version's predictor is the one-vs-rest head refit on its new embeddings.

The steps of every fine-tune (:mod:`.finetune_steps`) with label sets: the classifier trains on each
training text's final set (:func:`annotator.services.label_set_finals.resolved_sets`) with a sigmoid
per label and the binary cross-entropy (:class:`learner.classifier.TransformerClassifier` given label
sets; with the ``mean_head`` objective it starts from the one-vs-rest head on the starting encoder).
Its pass over the pool gives the new embeddings, on which the fast tier's head
(:func:`.label_set_refresh.fit_set_head`: a logistic regression per label, thresholds chosen by
cross-validation) is refit; that head ranks the pool by the strategy's multi-label meaning, suggests
each text's set, is scored on the labeled evaluation texts (micro/macro-F1, subset accuracy, Hamming
loss) and is what ``export --model`` writes, exactly as a fast refresh on that encoder would. The
fine-tuned network's own sigmoids, decided at 0.5, are kept under ``classifier`` for the benchmarks.

The fine-tune minimum counts, per label, the training texts whose final set holds it
(:func:`annotator.services.training.triggers.finetune_blocker`).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from annotator.services.integrity import folder_checksums
from annotator.services.training.finetune_steps import (
    FinetuneResult,
    NotEnoughLabels,
    Progress,
    publish_finetuned,
    train_and_embed,
)
from annotator.services.training.label_prior import prior_of
from annotator.services.training.label_set_refresh import (
    PREDICTOR,
    fit_set_head,
    label_set_pairs,
    rank_label_sets,
    set_figures,
    set_scores,
)
from annotator.services.training.models import LoopModels
from annotator.services.training.refresh import take_snapshot
from annotator.services.training.scoring import done_mask, positions_of, stored_head
from annotator.services.training.triggers import finetune_blocker
from annotator.store.connection import read_snapshot
from annotator.store.project import Project
from learner.classifier import DEFAULT_THRESHOLD


def finetune_label_sets(project: Project, models: LoopModels, *, progress: Progress | None = None,
                        should_stop: Callable[[], bool] | None = None) -> FinetuneResult:
    """One fine-tune cycle on label sets; publishes a ``finetune`` version and switches ``models`` to
    its encoder. Raises NotEnoughLabels, or learner's TrainingCancelled when ``should_stop`` says so."""
    report = progress or (lambda value, message: None)
    with read_snapshot(project.db):  # the pool, the sets and the watermark of one moment
        snap = take_snapshot(project)
        train = label_set_pairs(project, snap.classes, evaluation=False)
        evals = label_set_pairs(project, snap.classes, evaluation=True)
    settings, classes = snap.settings, snap.classes
    blocker = finetune_blocker(Counter(name for _, names in train for name in names), settings.finetune_min_per_class,
                               label_sets=True)
    if blocker is not None:
        raise NotEnoughLabels(blocker)
    ids = np.asarray(snap.ids, dtype=np.int64)
    train_positions = positions_of(ids, [e for e, _ in train])
    texts = [snap.texts[position] for position in train_positions]
    trained = train_and_embed(project, models, snap, texts, [names for _, names in train], report, should_stop,
                              multi_label=True)
    started = time.perf_counter()
    X = trained.pool.vectors
    prior = prior_of(trained.classifier, classes, settings)  # the names by the new encoder, as a refresh
    with threadpool_limits(limits=1, user_api="blas"):
        head = fit_set_head(X, ids, train, classes, settings, prior)
        rows = rank_label_sets(head, X, ids, done_mask(ids, snap.counts, settings), settings)
        figures = set_figures(head, X, ids, evals)
    metrics: dict[str, Any] = {
        "n_train": len(train), "predictor": PREDICTOR, "label_prior": prior is not None, **figures,
        "checksums": folder_checksums(trained.pending),
        "classifier": _own_figures(trained.pool.proba, ids, evals, classes),
        "warm_start": trained.warm, "train_s": round(trained.train_s, 3),
    }
    score_s = trained.embed_s + time.perf_counter() - started
    version = publish_finetuned(project, models, trained, head=stored_head(head, 0), strategy=settings.strategy,
                                scores=rows, n_ranked=len(rows), n_labels=len(train), watermark=snap.watermark,
                                metrics=metrics)
    return FinetuneResult(version, trained.classifier, head, metrics, trained.train_s, score_s)


def _own_figures(proba: np.ndarray, ids: np.ndarray, evals: list[tuple[int, list[str]]],
                 classes: list[str]) -> dict[str, Any]:
    """The fine-tuned network's own sigmoids on the evaluation texts, each label decided at 0.5."""
    if not evals:
        return {"n_eval": 0}
    decided = proba[positions_of(ids, [e for e, _ in evals])] >= DEFAULT_THRESHOLD
    figures = set_scores(evals, decided.astype(np.int8), classes)
    return {key: figures[key] for key in ("micro_f1", "macro_f1", "subset_accuracy")} | {"n_eval": len(evals)}
