"""The Export page: the final labels and the raw rows, prepared for download."""

from __future__ import annotations

import csv
import io

import pytest

from tests.helpers.app import page
from tests.helpers.team import VOTES


@pytest.mark.both_backends  # the page on PostgreSQL too
def test_export_prepares_the_final_labels(app_env):
    at = page("lead_export.py", "lead")
    assert any("no model yet" in i.value for i in at.info)
    at.button(key="ll_export_prepare").click().run()
    prepared = at.session_state["ll_export_file"]
    assert prepared["rows"] == 7
    rows = list(csv.DictReader(io.StringIO(prepared["bytes"].decode("utf-8"))))
    assert {int(r["example_id"]) for r in rows} == {app_env.ids[i] for i in range(7)}
    at.radio(key="ll_export_which").set_value("raw").run()
    at.button(key="ll_export_prepare").click().run()
    assert at.session_state["ll_export_file"]["rows"] == sum(len(v) for v in VOTES.values())
