"""The Dashboard page: the team's progress and agreement."""

from __future__ import annotations

from tests.helpers.app import page


def test_dashboard_shows_agreement_numbers(app_env):
    at = page("lead_dashboard.py", "lead")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Pool"] == "20" and metrics["Labeled"] == "7"
    assert metrics["Krippendorff's α (nominal)"] not in ("–", "")
