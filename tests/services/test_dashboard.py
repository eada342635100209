"""Dashboard queries and frames on a real SQLite project with a lead and three annotators."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from annotator.services import agreement, dashboard
from annotator.services.evalset import reserve_eval_set
from annotator.services.review import adjudicate
from annotator.store import reporting as queries
from annotator.store import versions
from annotator.store.labels import add_label
from annotator.store.versions import publish_version
from tests.helpers.team import VOTES


def test_pool_counts_and_progress(team_project):
    counts = queries.pool_counts(team_project.db)
    assert counts == {"examples": 20, "pool": 20, "labeled": 7, "unlabeled": 13, "eval": 0, "eval_labeled": 0}
    progress, per_label = dashboard.progress(team_project)
    assert progress["added"].sum() == 20 and progress["labeled"].sum() == 7
    assert progress["labeled_total"].iloc[-1] == 7 and progress["pool_total"].iloc[-1] == 20
    assert per_label.groupby("label")["n"].sum().to_dict() == {"neg": 4, "neutral": 5, "pos": 5}


def test_label_counts_include_unused_labels(team_project, tmp_path):
    rows = {row["label"]: row for row in queries.label_counts(team_project.db)}
    assert list(rows) == ["pos", "neg", "neutral"]
    assert (rows["pos"]["n_labels"], rows["pos"]["n_items"]) == (5, 3)
    assert (rows["neutral"]["n_labels"], rows["neutral"]["n_items"]) == (5, 3)


def test_annotator_activity_counts_and_median_seconds(team_project):
    add_label(team_project.db, team_project.ids[4], "pos", "ann1", seconds=100.0)  # relabel
    table = dashboard.annotator_table(team_project).set_index("annotator")
    assert table.loc["ann1", "n_labels"] == 7 and table.loc["ann1", "n_current"] == 6
    # ann1 seconds: 3, 4, 5, 6, 7 (superseded), 9, 100 -> median 6
    assert table.loc["ann1", "median_seconds"] == pytest.approx(6.0)
    assert table.loc["ann2", "median_seconds"] == pytest.approx(5.0)  # 3, 4, 5, 6, 8
    assert table.loc["ann3", "median_seconds"] == pytest.approx(5.0)  # 3, 5, 9


def test_labels_per_hour_uses_active_time(team_project):
    ids = team_project.ids
    label_ids = [add_label(team_project.db, ids[10 + k], "pos", "timer", seconds=10.0) for k in range(4)]
    t0 = 1_700_000_000.0
    # Tests may set timestamps directly: the app never does.
    for label_id, at in zip(label_ids, (t0, t0 + 30, t0 + 60, t0 + 3600)):
        team_project.db.execute("UPDATE labels SET created_at = ? WHERE id = ?", (at, label_id))
    row = dashboard.annotator_table(team_project).set_index("annotator").loc["timer"]
    # session 1: 10 s (first label's own time) + 30 + 30; session 2 after a 3540 s gap: 10 s
    assert row["active_hours"] * 3600 == pytest.approx(80.0)
    assert row["labels_per_hour"] == pytest.approx(4 * 3600 / 80)


def test_annotator_label_distribution(team_project):
    table = dashboard.annotator_label_table(team_project)
    ann3 = table[table["annotator"] == "ann3"].set_index("label")
    assert ann3["n"].to_dict() == {"neutral": 2, "pos": 1}
    assert ann3["share"].sum() == pytest.approx(1.0)


def test_agreement_report_matches_the_votes(team_project):
    report = dashboard.agreement_report(team_project)
    overlap = [votes for votes in VOTES.values() if len(votes) >= 2]
    by_rater = [[votes.get(name) for votes in overlap] for name in ("ann1", "ann2", "ann3")]
    assert report.summary["n_items"] == 5
    assert report.summary["krippendorff_alpha"] == pytest.approx(agreement.krippendorff_alpha(by_rater))
    assert report.summary["fleiss_kappa"] == pytest.approx(agreement.fleiss_kappa(by_rater))
    pair = report.pairwise.set_index(["annotator_a", "annotator_b"]).loc[("ann1", "ann2")]
    # ann1 vs ann2 on items 0, 1, 2, 3
    assert pair["n_items"] == 4
    assert pair["cohen_kappa"] == pytest.approx(
        cohen_kappa_score(["pos", "pos", "neg", "neutral"], ["pos", "neg", "neg", "neutral"])
    )
    assert list(report.per_label["label"]) == ["pos", "neg", "neutral"]
    stats = dashboard.agreement_stats(team_project)
    assert stats["krippendorff_alpha"] == pytest.approx(report.summary["krippendorff_alpha"], abs=1e-4)


def test_adjudication_is_not_a_vote(team_project):
    before = dashboard.agreement_report(team_project).summary
    adjudicate(team_project, "lead", team_project.ids[1], "neg")
    after = dashboard.agreement_report(team_project).summary
    assert after == before
    assert queries.adjudication_count(team_project.db) == 1


def test_disagreements_and_resolution(team_project):
    ids = team_project.ids
    open_items = queries.disagreements(team_project.db)
    assert [row["example_id"] for row in open_items] == [ids[1], ids[2]]
    assert open_items[0]["votes"] == {"ann1": "pos", "ann2": "neg"}
    assert open_items[0]["text"] == "text number 1"
    adjudicate(team_project, "lead", ids[1], "neg")
    assert [row["example_id"] for row in queries.disagreements(team_project.db)] == [ids[2]]
    every = queries.disagreements(team_project.db, include_adjudicated=True)
    assert {row["example_id"]: row["adjudicated"] for row in every} == {ids[1]: "neg", ids[2]: None}


def _publish(project, predictions, metrics=None, n_labels=10):
    rows = [(example_id, rank, 0.5, label, 0.9) for rank, (example_id, label) in enumerate(predictions.items())]
    return publish_version(project.db, kind="head", strategy="margin", scores=rows, n_labels=n_labels,
                           metrics=metrics)


def test_stopping_signal_between_consecutive_versions(team_project):
    ids = team_project.ids[10:20]
    first = ["pos", "neg", "neutral", "pos", "neg", "neutral", "pos", "neg", "neutral", "pos"]
    second = list(first)
    second[0], second[4] = "neg", "pos"
    _publish(team_project, dict(zip(ids, first)))
    _publish(team_project, dict(zip(ids, second)))
    signal = dashboard.stopping_signal(team_project)
    assert len(signal) == 1
    row = signal.iloc[0]
    assert (row["old"], row["new"], row["n_compared"], row["n_changed"]) == (1, 2, 10, 2)
    assert row["kappa"] == pytest.approx(cohen_kappa_score(first, second))


def test_stopping_signal_keeps_its_history_after_old_scores_are_pruned(team_project):
    """The worker records each version's change at publish; pruning old scores keeps it."""
    from annotator.services.stability import after_publish
    from annotator.store.versions import list_versions

    ids = team_project.ids[10:20]
    rounds = [["pos"] * 10, ["pos"] * 6 + ["neg"] * 4, ["pos"] * 5 + ["neg"] * 5,
              ["pos"] * 5 + ["neg"] * 4 + ["neutral"], ["pos"] * 5 + ["neg"] * 4 + ["neutral"]]
    for labels in rounds:
        after_publish(team_project, _publish(team_project, dict(zip(ids, labels))))
    assert sum(v["scores_pruned_at"] is None for v in list_versions(team_project.db)) == 3
    signal = dashboard.stopping_signal(team_project)
    assert list(zip(signal["old"], signal["new"])) == [(1, 2), (2, 3), (3, 4), (4, 5)]
    assert list(signal["n_changed"]) == [4, 1, 1, 0]
    assert signal["kappa"].iloc[-1] == pytest.approx(1.0)


def test_learning_curve_confusion_and_model_stats(team_project):
    labels = ["pos", "neg", "neutral"]
    assert dashboard.model_stats(team_project)["version"] is None
    _publish(team_project, {}, metrics={"accuracy": 0.5, "macro_f1": 0.4,
                                        "confusion": [[2, 1, 0], [1, 1, 0], [0, 0, 1]]}, n_labels=10)
    _publish(team_project, {}, metrics=None, n_labels=15)  # not evaluated
    _publish(team_project, {}, metrics={"accuracy": 0.75, "macro_f1": 0.7,
                                        "confusion": [[3, 0, 0], [1, 2, 0], [0, 0, 2]]}, n_labels=20)
    curve = dashboard.learning_curve(team_project)
    assert list(curve["version"]) == [1, 3]
    assert list(curve["n_labels"]) == [10, 20]
    assert list(curve["accuracy"]) == [0.5, 0.75]
    matrix, version = dashboard.confusion(team_project)
    assert version == 3
    cells = {(r["true"], r["predicted"]): r["n"] for r in matrix.to_dict("records")}
    assert cells[("neg", "pos")] == 1 and cells[("neutral", "neutral")] == 2 and len(cells) == 9
    assert set(matrix["true"]) == set(labels)
    stats = dashboard.model_stats(team_project)
    # published without a stored head (as before heads were kept): figures, but no model to take away
    assert stats == {"version": 3, "kind": "head", "predictor": None, "n_labels": 20, "accuracy": 0.75,
                     "macro_f1": 0.7, "n_eval": 0, "exported": None, "scored": 0}
    head = versions.StoredHead(0, labels, np.zeros((3, 4)), np.zeros(3))
    versions.publish_version(team_project.db, kind="head", strategy="margin", scores=[], n_labels=25, head=head,
                             encoder_version=0, metrics={"accuracy": 0.8, "macro_f1": 0.8, "n_eval": 7})
    stats = dashboard.model_stats(team_project)
    assert stats["predictor"] == "head on the base model" and stats["n_eval"] == 7
    assert stats["exported"] == {"version": 4, "kind": "head on the base model", "accuracy": None,
                                 "macro_f1": None, "n_eval": 0, "measured_at": None}


def test_load_dashboard_gathers_everything(team_project):
    data = dashboard.load_dashboard(team_project)
    assert data.counts["labeled"] == 7
    assert len(data.annotators) == 3
    assert data.agreement.n_annotators == 3
    assert data.learning_curve.empty and data.stopping.empty and data.confusion_version is None


def test_empty_project_dashboard(project):
    data = dashboard.load_dashboard(project)
    assert data.counts["examples"] == 0
    assert data.progress.empty and data.annotators.empty
    assert math.isnan(data.agreement.summary["krippendorff_alpha"])
    assert dashboard.agreement_stats(project)["krippendorff_alpha"] is None


def test_progress_counts_the_pool_only(team_project):
    eval_ids = reserve_eval_set(team_project, 2, seed=0)
    add_label(team_project.db, eval_ids[0], "pos", "ann1")
    progress, per_label = dashboard.progress(team_project)
    assert progress["pool_total"].iloc[-1] == 18 and progress["labeled_total"].iloc[-1] == 7
    assert per_label["n"].sum() == 14
    assert {r["label"]: r["n_labels"] for r in queries.label_counts(team_project.db)}["pos"] == 5
    counts = queries.pool_counts(team_project.db)
    assert (counts["labeled"], counts["eval_labeled"], counts["eval"]) == (7, 1, 2)


def test_data_stamp_changes_with_every_kind_of_change(team_project):
    from annotator.store.labels import undo_last

    stamps = [queries.data_stamp(team_project.db)]
    add_label(team_project.db, team_project.ids[12], "pos", "ann1")
    stamps.append(queries.data_stamp(team_project.db))
    undo_last(team_project.db, "ann1")
    stamps.append(queries.data_stamp(team_project.db))
    _publish(team_project, {team_project.ids[13]: "neg"})
    stamps.append(queries.data_stamp(team_project.db))
    reserve_eval_set(team_project, 1, seed=0)
    stamps.append(queries.data_stamp(team_project.db))
    assert len(set(stamps)) == len(stamps)
    assert queries.data_stamp(team_project.db) == stamps[-1]  # nothing changed: same key


def test_a_multi_label_dashboard_counts_labels_of_sets_and_agreement_on_sets(tmp_path):
    from annotator.services.projects import create_project
    from annotator.store.label_sets import add_label_set
    from tests.helpers.team import add_texts

    # the fixture of tests/services/test_set_agreement.py: alpha (MASI) 11/36, label a's alpha 4/9
    with create_project(tmp_path / "m", ["a", "b", "c"], multi_label=True) as project:
        ids = add_texts(project, ["one", "two", "three"], tmp_path)
        for example_id, (first, second) in zip(ids, [({"a", "b"}, {"a"}), ({"c"}, {"c"}), ({"a"}, {"b"})]):
            add_label_set(project.db, example_id, sorted(first), "ann1", now=1000.0)
            add_label_set(project.db, example_id, sorted(second), "ann2", now=1000.0)
        data = dashboard.load_dashboard(project)
        counts = data.per_label.set_index("label")
        assert counts.loc["a", "n_labels"] == 3 and counts.loc["a", "n_items"] == 2
        assert counts.loc["c", "n_labels"] == 2 and counts.loc["c", "n_items"] == 1
        shares = data.annotator_labels.set_index(["annotator", "label"])
        assert shares.loc[("ann1", "a"), "n"] == 2 and shares.loc[("ann1", "a"), "share"] == pytest.approx(2 / 4)
        assert set(data.label_progress["label"]) == {"a", "b", "c"}
        assert data.label_progress.groupby("label")["cumulative"].max().to_dict() == {"a": 3, "b": 2, "c": 2}
        assert data.agreement.summary["n_items"] == 3
        assert data.agreement.summary["krippendorff_alpha"] == round(11 / 36, 4)
        per_label = data.agreement.per_label.set_index("label")
        assert per_label.loc["a", "krippendorff_alpha"] == round(4 / 9, 4) and data.agreement.pairwise.empty
        assert data.disagreements == 2
