"""Review queue: disagreements, cross-validated suspected label errors, adjudication."""

from __future__ import annotations

import numpy as np
import pytest

from annotator.errors import AuthError, LabelSetError
from annotator.services.exports import export, final_labels
from annotator.services.review import (
    NoEmbeddingsError,
    adjudicate,
    disagreement_queue,
    find_suspected_errors,
    suspected_errors,
)
from annotator.services.training.embeddings import save_embeddings
from annotator.store.labels import add_label, label_history
from tests.helpers.team import add_texts

pytestmark = pytest.mark.both_backends  # each test using `project` runs on SQLite and on PostgreSQL

CLASSES = ["pos", "neg", "neutral"]


def _clusters(n_per_class: int, seed: int = 0) -> tuple[np.ndarray, list[str]]:
    """Three well separated Gaussian blobs in 8 dimensions, one per class."""
    rng = np.random.default_rng(seed)
    centers = np.eye(8)[:3] * 6.0
    X = np.vstack([centers[k] + rng.normal(scale=0.5, size=(n_per_class, 8)) for k in range(3)])
    y = [name for name in CLASSES for _ in range(n_per_class)]
    return X.astype(np.float32), y


def test_planted_wrong_label_is_flagged_first():
    X, y = _clusters(20)
    y[7] = "neutral"  # a "pos" item labeled neutral
    found = find_suspected_errors(X, y, classes=CLASSES, folds=5, threshold=0.8, seed=0)
    assert list(found["index"])[:1] == [7]
    assert found.iloc[0]["label"] == "neutral" and found.iloc[0]["predicted"] == "pos"
    assert found.iloc[0]["confidence"] >= 0.8
    assert list(found["confidence"]) == sorted(found["confidence"], reverse=True)
    assert len(found) == 1


def test_prediction_is_out_of_fold():
    # A "neg" label on an exact copy of a "pos" point: out of fold, the model never
    # saw that label at that place, so the contradiction shows.
    X, y = _clusters(10)
    X = np.vstack([X, X[0:1]])  # a copy of a "pos" point ...
    y = y + ["neg"]             # ... labeled neg (only once)
    found = find_suspected_errors(X, y, classes=CLASSES, folds=5, threshold=0.5)
    assert 30 in set(found["index"])


def test_clean_labels_flag_nothing_and_threshold_is_respected():
    X, y = _clusters(15)
    assert find_suspected_errors(X, y, classes=CLASSES).empty
    y[3] = "neg"
    assert find_suspected_errors(X, y, classes=CLASSES, threshold=1.0 + 1e-9).empty


def test_too_few_labels_is_a_named_error():
    from annotator.services.review import NotEnoughLabelsError

    with pytest.raises(NotEnoughLabelsError):
        find_suspected_errors(np.zeros((3, 4)), ["pos", "neg", "pos"], folds=5)
    with pytest.raises(NotEnoughLabelsError):
        find_suspected_errors(np.zeros((10, 4)), ["pos"] * 10, folds=5)


def test_suspected_errors_on_a_project_with_cached_embeddings(project, tmp_path):
    X, y = _clusters(12, seed=1)
    y_given = list(y)
    y_given[20] = "pos"  # a neg item mislabeled pos
    ids = add_texts(project, [f"ticket {i}" for i in range(len(y))], tmp_path)
    for example_id, label in zip(ids, y_given):
        add_label(project.db, example_id, label, "ann1")
    with pytest.raises(NoEmbeddingsError):
        suspected_errors(project)
    save_embeddings(project.path, 0, ids, X)
    found = suspected_errors(project, threshold=0.8)
    assert list(found["example_id"]) == [ids[20]]
    row = found.iloc[0]
    assert (row["label"], row["predicted"], row["text"]) == ("pos", "neg", "ticket 20")


def test_disagreement_queue(team_project):
    queue = disagreement_queue(team_project)
    assert list(queue["example_id"]) == [team_project.ids[1], team_project.ids[2]]
    assert queue.iloc[1]["votes"] == {"ann1": "neg", "ann2": "neg", "ann3": "neutral"}


def test_adjudication_wins_in_export_and_stays_in_history(team_project, tmp_path):
    example = team_project.ids[2]  # neg, neg, neutral -> majority neg
    before = {row["example_id"]: row for row in final_labels(team_project)}
    assert before[example]["label"] == "neg"
    adjudicate(team_project, "lead", example, "neutral")
    adjudicate(team_project, "lead", example, "pos")  # the lead changes their mind
    after = {row["example_id"]: row for row in final_labels(team_project)}
    assert after[example]["label"] == "pos" and after[example]["adjudicated_by"] == "lead"
    history = label_history(team_project.db, example)
    adjudications = [row for row in history if row["kind"] == "adjudication"]
    assert [row["label"] for row in adjudications] == ["neutral", "pos"]
    assert adjudications[0]["superseded"] == 1 and adjudications[0]["superseded_reason"] == "adjudication"
    assert sum(row["superseded"] == 0 for row in history) == 4  # three votes + the last adjudication
    out = tmp_path / "final.csv"
    export(team_project, out, "csv")
    import csv

    rows = {int(r["example_id"]): r for r in csv.DictReader(out.open(encoding="utf-8"))}
    assert rows[example]["label"] == "pos"
    assert disagreement_queue(team_project)["example_id"].tolist() == [team_project.ids[1]]


def test_only_an_active_lead_can_adjudicate(team_project):
    from annotator.store.users import update_user

    with pytest.raises(AuthError):
        adjudicate(team_project, "ann1", team_project.ids[1], "pos")
    with pytest.raises(AuthError):
        adjudicate(team_project, "nobody", team_project.ids[1], "pos")
    with pytest.raises(LabelSetError):
        adjudicate(team_project, "lead", team_project.ids[1], "maybe")
    update_user(team_project.db, "lead", active=False)  # the store: the service keeps a last lead
    with pytest.raises(AuthError):
        adjudicate(team_project, "lead", team_project.ids[1], "pos")
    assert [r["kind"] for r in label_history(team_project.db, team_project.ids[1])] == ["annotation"] * 2


def test_adjudicated_items_are_not_flagged_again(project, tmp_path):
    from annotator.services.passwords import hash_password
    from annotator.store.users import insert_user

    X, y = _clusters(12, seed=1)
    y[20] = "pos"
    ids = add_texts(project, [f"ticket {i}" for i in range(len(y))], tmp_path)
    for example_id, label in zip(ids, y):
        add_label(project.db, example_id, label, "ann1")
    save_embeddings(project.path, 0, ids, X)
    assert list(suspected_errors(project)["example_id"]) == [ids[20]]
    insert_user(project.db, "boss", "lead", hash_password("long-password"))
    adjudicate(project, "boss", ids[20], "pos")  # the lead keeps the label
    assert suspected_errors(project).empty


def test_late_labels_reach_the_lead_until_adjudicated(team_project):
    """A save without a live lease is marked late and listed for the lead, with the text's other labels."""
    from annotator.services.review import adjudicate, late_queue

    example = team_project.ids[12]
    add_label(team_project.db, example, "pos", "ann1")
    add_label(team_project.db, example, "neg", "ann2", late=True)
    (row,) = late_queue(team_project)
    assert (row["example_id"], row["annotator"], row["label"], row["others"]) == (example, "ann2", "neg",
                                                                                   {"ann1": "pos"})
    adjudicate(team_project, "lead", example, "pos")
    assert late_queue(team_project) == []
