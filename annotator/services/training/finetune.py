"""Slow tier: fine-tune the transformer, re-embed and re-score the pool, publish atomically.

Steps (:mod:`.finetune_steps`): train (warm start from the newest fine-tuned version if the
``warm_start`` setting is on and the label set is unchanged, else from the base model) -> save to
``models/.pending-<pid>`` -> one forward pass over the pool giving probabilities AND embeddings
(cached for the new encoder), on the worker's scoring engine (:mod:`.pool_engines`: this process, or
a Ray cluster) -> refit the fast head on the new embeddings of the labeled items (the head a refresh
on the new encoder would fit: the label-name prior too, when it is on) -> rank and
evaluate on labeled eval items with that head -> publish atomically. Cancellable between training
steps and between scoring chunks. A multi-label project takes the same steps with label sets
(:mod:`.label_set_finetune`).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

import numpy as np
from threadpoolctl import threadpool_limits

from annotator.services.integrity import folder_checksums
from annotator.services.label_mode import is_multi_label
from annotator.services.stability import METRICS_KEY as STOPPING_KEY
from annotator.services.stability import change_between
from annotator.services.training.finetune_steps import (
    FinetuneResult,
    NotEnoughLabels,
    Progress,
    publish_finetuned,
    train_and_embed,
)
from annotator.services.training.label_prior import prior_of
from annotator.services.training.label_set_finetune import finetune_label_sets
from annotator.services.training.models import LoopModels
from annotator.services.training.refresh import take_snapshot
from annotator.services.training.scoring import (
    PREDICTOR,
    done_mask,
    eval_metrics,
    fit_head,
    positions_of,
    rank_pool,
    score_pool,
    stored_head,
)
from annotator.services.training.triggers import finetune_blocker
from annotator.store.project import Project
from annotator.store.versions import append_scores

__all__ = ["FinetuneResult", "NotEnoughLabels", "Progress", "finetune"]


def finetune(
    project: Project,
    models: LoopModels,
    *,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> FinetuneResult:
    """One fine-tune cycle; publishes a ``finetune`` version and switches ``models`` to its encoder.

    Raises NotEnoughLabels, or learner's TrainingCancelled when ``should_stop`` says so.
    """
    if is_multi_label(project.db):
        return finetune_label_sets(project, models, progress=progress, should_stop=should_stop)
    report = progress or (lambda value, message: None)
    snap = take_snapshot(project)
    settings, classes = snap.settings, snap.classes
    texts = [text for _, text, _ in snap.train]
    labels = [label for _, _, label in snap.train]
    blocker = finetune_blocker(Counter(labels), settings.finetune_min_per_class)
    if blocker is not None:
        raise NotEnoughLabels(blocker)
    trained = train_and_embed(project, models, snap, texts, labels, report, should_stop)
    started = time.perf_counter()
    proba, X = trained.pool.proba, trained.pool.vectors
    # The version's predictor is the fast head refit on the NEW encoder's embeddings: it ranks,
    # suggests, is evaluated and is what Export writes (learner.export). The fine-tune's own
    # predictions (its mean head, or with the 'classifier' objective its first-token layer, which
    # on TREC-6 scored 34% where the head on its embeddings scored 87%) are kept under
    # "classifier" for the benchmarks; no page shows them.
    ids = np.asarray(snap.ids, dtype=np.int64)
    evals = [(e, label) for e, _, label in snap.evals]
    eval_positions = positions_of(ids, [e for e, _ in evals])
    # With the label-name prior on, the names are embedded by the NEW encoder, as the next refresh
    # will: without it a class nobody has labeled yet could not be predicted by this version alone
    # (Banking77: 5-10 points below the head before it, and back above it one batch later).
    prior = prior_of(trained.classifier, classes, settings)
    with threadpool_limits(limits=1, user_api="blas"):
        head = fit_head(X, ids, [(e, label) for e, _, label in snap.train], classes, prior)
        done = done_mask(ids, snap.counts, settings)
        scores = score_pool(head, X, settings.strategy, settings.seed, int(done.sum()))
        ranking = rank_pool(ids=ids, scores=scores, embeddings=X, classes=classes,
                            strategy=settings.strategy, done=done, estimator=head, seed=settings.seed)
        head_eval = head.predict_proba(X[eval_positions])
    own = eval_metrics(evals, proba[eval_positions], classes)
    metrics = {**eval_metrics(evals, head_eval, classes),
               "checksums": folder_checksums(trained.pending),
               "predictor": PREDICTOR, "label_prior": prior is not None,
               "classifier": {k: own[k] for k in ("accuracy", "macro_f1", "n_eval") if k in own},
               "n_train": len(labels), "warm_start": trained.warm,
               "train_s": round(trained.train_s, 3)}
    pool_mask = ~np.asarray(snap.is_eval, dtype=bool)
    predictions = (ids[pool_mask], scores.predicted[pool_mask], list(classes))
    if models.last_predictions is not None:
        change = change_between(models.last_predictions[0], models.last_predictions[1], predictions)
        if change is not None:
            metrics[STOPPING_KEY] = change
    score_s = trained.embed_s + time.perf_counter() - started
    version = publish_finetuned(
        project, models, trained, head=stored_head(head, 0), predictions=predictions, strategy=settings.strategy,
        scores=ranking.top, n_ranked=ranking.n, n_labels=len(labels), watermark=snap.watermark, metrics=metrics,
    )
    for chunk in ranking.tail:  # a large pool's other rows, in this background thread
        if not append_scores(project.db, version, chunk):
            break
    return FinetuneResult(version, trained.classifier, head, metrics, trained.train_s, score_s)
