"""The lead's review queue: disagreements, suspected label errors, adjudication.

* **Disagreements** — items whose annotators' current labels differ and that
  no lead has adjudicated yet.
* **Suspected label errors** — final labels that an *out-of-sample* model
  contradicts with high confidence. Every labeled item is predicted by a
  light head (``learner.head.EmbeddingHead``, logistic regression on the
  cached pool embeddings) trained on the other folds of a stratified k-fold
  split, so no prediction comes from a model that saw that very label.
  :func:`find_suspected_errors` is the core and takes plain arrays.
* **Adjudication** — the lead's label with kind ``adjudication``. It wins in
  exports (see :mod:`annotator.services.exports`); earlier labels, earlier
  adjudications included, stay in the history.

A multi-label project's disagreements and late labels are sets, with the disputed labels of each
text (:mod:`annotator.services.set_review`); the lead adjudicates a whole set, stored like a single
label's adjudication (an ``adjudication`` row whose members are the set).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from annotator.errors import AuthError, InputError, LabelloopError
from annotator.services.exports import final_labels
from annotator.services.label_mode import is_multi_label
from annotator.services.label_sets import set_text
from annotator.services.set_review import find_suspected_set_errors, set_disagreements, with_sets
from annotator.services.settings import get_settings
from annotator.store import reporting as queries
from annotator.store.label_sets import add_label_set
from annotator.store.labels import add_label, late_labels
from annotator.store.project import Project
from annotator.store.users import get_user

DEFAULT_FOLDS = 5
DEFAULT_THRESHOLD = 0.8
SUSPECT_COLUMNS = ["example_id", "text", "label", "predicted", "confidence", "label_probability"]


class NoEmbeddingsError(LabelloopError):
    """The pool has no cached embeddings yet (the worker has not embedded it)."""


class NotEnoughLabelsError(LabelloopError):
    """Too few labeled items (or classes) for a cross-validated check."""


def disagreement_queue(project: Project, *, include_adjudicated: bool = False) -> pd.DataFrame:
    """Items whose annotators disagree; columns example_id, text, votes, adjudicated, is_eval (a
    multi-label project's: :func:`annotator.services.set_review.set_disagreements`, votes being sets)."""
    if is_multi_label(project.db):
        return set_disagreements(project, include_adjudicated=include_adjudicated)
    rows = queries.disagreements(project.db, include_adjudicated=include_adjudicated)
    return pd.DataFrame(rows, columns=["example_id", "text", "votes", "adjudicated", "is_eval", "last_at"])


def find_suspected_errors(
    embeddings: np.ndarray,
    labels: Sequence[str],
    *,
    classes: Sequence[str] | None = None,
    folds: int = DEFAULT_FOLDS,
    threshold: float = DEFAULT_THRESHOLD,
    seed: int = 0,
) -> pd.DataFrame:
    """Rows whose out-of-fold prediction contradicts their label with probability >= threshold.

    ``embeddings`` is (n, d), ``labels`` the n given labels. Returns a frame
    with ``index`` (row position), label, predicted, confidence (the
    out-of-fold probability of the predicted label) and label_probability,
    most confident first. Folds are stratified; a label seen fewer times than
    there are folds still gets out-of-fold predictions (it is simply absent
    from some training folds and cannot be predicted there).
    """
    from sklearn.model_selection import KFold, StratifiedKFold

    from learner.head import EmbeddingHead

    X = np.asarray(embeddings, dtype=np.float32)
    y = np.asarray(list(labels), dtype=object)
    if X.ndim != 2 or len(X) != len(y):
        raise ValueError("embeddings must be (n, d) with one label per row")
    classes = list(classes) if classes is not None else sorted(set(y.tolist()))
    present = sorted(set(y.tolist()))
    if len(present) < 2 or len(y) < max(folds, 4):
        raise NotEnoughLabelsError(
            f"need at least {max(folds, 4)} labeled items in 2 or more labels for a cross-validated check"
        )
    smallest = min(int((y == name).sum()) for name in present)
    if smallest >= folds:
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        splits = splitter.split(X, y)
    else:
        splits = KFold(n_splits=folds, shuffle=True, random_state=seed).split(X)
    proba = np.zeros((len(y), len(classes)))
    position = {name: k for k, name in enumerate(classes)}
    for train, test in splits:
        if len(set(y[train].tolist())) < 2:
            continue  # cannot fit a classifier on one label; these rows stay unscored
        head = EmbeddingHead(classes=classes).fit(X[train], y[train])
        fold_proba = np.asarray(head.predict_proba(X[test]))
        columns = [position[name] for name in head.classes_]
        proba[np.ix_(test, columns)] = fold_proba
    scored = proba.sum(axis=1) > 0
    predicted_index = proba.argmax(axis=1)
    predicted = np.array([classes[k] for k in predicted_index], dtype=object)
    confidence = proba[np.arange(len(y)), predicted_index]
    label_probability = np.array([proba[i, position[name]] for i, name in enumerate(y)])
    flagged = scored & (predicted != y) & (confidence >= threshold)
    frame = pd.DataFrame(
        {
            "index": np.nonzero(flagged)[0],
            "label": y[flagged],
            "predicted": predicted[flagged],
            "confidence": confidence[flagged],
            "label_probability": label_probability[flagged],
        }
    )
    return frame.sort_values(["confidence", "index"], ascending=[False, True], ignore_index=True)


def suspected_errors(
    project: Project,
    *,
    folds: int = DEFAULT_FOLDS,
    threshold: float = DEFAULT_THRESHOLD,
    seed: int | None = None,
) -> pd.DataFrame:
    """Suspected label errors among the project's final labels (columns :data:`SUSPECT_COLUMNS`).

    Every labeled item with an embedding takes part in the cross-validation;
    items a lead already adjudicated are not flagged again.

    Raises NoEmbeddingsError when the pool has not been embedded yet and
    NotEnoughLabelsError when there are too few labels to cross-validate.
    """
    from annotator.services.labelset import get_labels
    from annotator.services.settings import get_setting

    ids, matrix = _labeled_embeddings(project)
    finals = {row["example_id"]: row for row in final_labels(project)}
    keep = [k for k, example_id in enumerate(ids) if example_id in finals]
    if not keep:
        raise NotEnoughLabelsError("no labeled item has an embedding yet")
    ids = [ids[k] for k in keep]
    seed = get_setting(project.db, "seed") if seed is None else seed
    columns = SUSPECT_COLUMNS
    if is_multi_label(project.db):
        found = _suspected_sets(project, matrix[keep], [finals[example_id]["labels"] for example_id in ids],
                                folds, threshold, seed)
        columns = [*SUSPECT_COLUMNS, "labels", "contradicted"]
    else:
        found = find_suspected_errors(matrix[keep], [finals[example_id]["label"] for example_id in ids],
                                      classes=get_labels(project.db), folds=folds, threshold=threshold, seed=seed)
    found["example_id"] = [ids[k] for k in found["index"]]
    found["text"] = [finals[example_id]["text"] for example_id in found["example_id"]]
    decided = [finals[example_id]["adjudicated_by"] is not None for example_id in found["example_id"]]
    return found.loc[[not d for d in decided], columns].reset_index(drop=True)


def _suspected_sets(project: Project, matrix: np.ndarray, sets: list[list[str]], folds: int, threshold: float,
                    seed: int) -> pd.DataFrame:
    """:func:`annotator.services.set_review.find_suspected_set_errors` with ``label`` and ``predicted`` as
    set texts (``labels``, ``contradicted``: lists) and no ``label_probability``."""
    from annotator.services.labelset import get_labels

    if len(sets) < max(folds, 4):
        raise NotEnoughLabelsError(f"need at least {max(folds, 4)} labeled items for a cross-validated check")
    found = find_suspected_set_errors(matrix, sets, get_labels(project.db), folds=folds, threshold=threshold,
                                      seed=seed)
    found["label"] = [set_text(names) for names in found["labels"]]
    found["predicted"] = [set_text(names) for names in found["predicted"]]
    found["label_probability"] = np.nan
    return found


def _labeled_embeddings(project: Project) -> tuple[list[int], np.ndarray]:
    """Example ids and cached embeddings from the current version's encoder (numpy only)."""
    from annotator.services.training.embeddings import load_embeddings
    from annotator.store.versions import current_version

    current = current_version(project.db)
    encoder = current["encoder_version"] if current and current["encoder_version"] is not None else 0
    loaded = load_embeddings(project.path, encoder)
    if loaded is None:
        raise NoEmbeddingsError(
            "no cached pool embeddings yet: the worker embeds the pool when it first runs"
        )
    ids, matrix = loaded
    return [int(i) for i in ids], np.asarray(matrix)


def adjudicated_ids(project: Project) -> set[int]:
    """Examples with a current lead adjudication."""
    return set(queries.adjudicated_examples(project.db))


def adjudicate(project: Project, lead: str, example_id: int, label: str | Sequence[str]) -> int:
    """Record ``lead``'s final label for an example; return the label row id. In a multi-label project
    ``label`` is the final set (a list of names; empty only when the ``none_of_these`` setting allows it).

    Only an active lead may adjudicate (checked here, not only in the page).
    """
    user = get_user(project.db, lead)
    if user is None or not user["active"] or user["role"] != "lead":
        raise AuthError(f"{lead!r} is not an active lead: only a lead can adjudicate")
    if not is_multi_label(project.db):
        if not isinstance(label, str):
            raise InputError("this is a single-label project: adjudicate one label")
        return add_label(project.db, int(example_id), label, lead, kind="adjudication")
    if isinstance(label, str):
        raise InputError("this is a multi-label project: adjudicate a set of labels (a list of names)")
    names = list(dict.fromkeys(label))
    if not names and not get_settings(project.db).none_of_these:
        raise InputError("choose at least one label ('none of these' is not allowed in this project)")
    return add_label_set(project.db, int(example_id), names, lead, kind="adjudication")


def late_queue(project: Project, *, limit: int = 200) -> list[dict[str, Any]]:
    """Labels saved without a live lease (the text had been on screen past its reservation and may
    have gone to someone else), newest first, with the text's other current labels; those whose
    text a lead has adjudicated since are done."""
    decided = adjudicated_ids(project)
    late = [row for row in late_labels(project.db, limit=limit) if row["example_id"] not in decided]
    return with_sets(project, late) if is_multi_label(project.db) else late
