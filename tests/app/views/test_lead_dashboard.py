"""The Dashboard page: the team's progress and agreement."""

from __future__ import annotations

from tests.helpers.app import page


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
