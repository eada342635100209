"""The Dashboard page: the team's progress and agreement."""

from __future__ import annotations

import pytest

from tests.helpers.app import page


@pytest.mark.both_backends  # the page on PostgreSQL too
def test_dashboard_shows_agreement_numbers(app_env):
    at = page("lead_dashboard.py", "lead")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Pool"] == "20" and metrics["Labeled"] == "7"
    assert metrics["Krippendorff's α (nominal)"] not in ("–", "")


def test_before_the_first_model_the_dashboard_says_what_comes_not_to_reserve_an_evaluation_set(
        ui_project, tmp_path):
    # The demo's first start: an evaluation set is labeled, no model is scored yet.
    from annotator.services.imports import import_file
    from annotator.services.projects import open_project

    held_out = tmp_path / "eval.csv"
    held_out.write_text("text,label\nWhere is my refund?,billing\nThe app freezes,technical\n", encoding="utf-8")
    with open_project(ui_project) as project:
        import_file(project, held_out, label_column="label", eval_set=True)
    at = page("lead_dashboard.py", "lead")
    shown = [box.value for box in at.info]
    assert any("No model scored yet" in text and "2 labeled evaluation texts" in text for text in shown)
    assert not any("Reserve an evaluation set" in text for text in shown)


def test_a_multi_label_dashboard_shows_agreement_on_sets(tmp_path, monkeypatch):
    from annotator.services.projects import open_project
    from annotator.store.label_sets import add_label_set
    from tests.helpers.app import make_ui_project

    folder = make_ui_project(tmp_path / "multi", ["billing", "shipping", "technical"], multi_label=True)
    monkeypatch.setenv("LABELLOOP_PROJECT", str(folder))
    with open_project(folder) as project:
        first, second = [row[0] for row in project.db.execute("SELECT id FROM examples ORDER BY id LIMIT 2")]
        add_label_set(project.db, first, ["billing", "shipping"], "ann")
        add_label_set(project.db, first, ["billing"], "other")
        add_label_set(project.db, second, ["technical"], "ann")
        add_label_set(project.db, second, ["technical"], "other")
    at = page("lead_dashboard.py", "lead")
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Disagreements"] == "1" and "Krippendorff's α (MASI, whole sets)" in metrics
    assert metrics["Krippendorff α (MASI)"] == metrics["Krippendorff's α (MASI, whole sets)"] != "–"
    assert "Percent agreement" not in metrics
    per_label = next(d.value for d in at.dataframe if list(d.value.columns) == ["label", "n_labels", "n_items"])
    assert per_label.set_index("label").loc["billing", "n_labels"] == 2
    assert any("Over 2 texts with two or more annotators' sets" in c.value for c in at.caption)
