"""The Project page: settings, the label set, imports and the evaluation set."""

from __future__ import annotations

from annotator.services.labelset import get_labels
from annotator.services.settings import get_settings
from tests.helpers.app import page


def test_project_page_settings_labels_and_eval_set(app_env):
    at = page("lead_project.py", "lead")
    at.number_input(key="ll_project_batch_size").set_value(0)
    [b for b in at.button if b.label == "Save settings"][0].click().run()
    assert "batch_size" in at.error[0].value.replace("\\", "")
    assert get_settings(app_env.db).batch_size == 25
    at.number_input(key="ll_project_batch_size").set_value(40)
    at.selectbox(key="ll_project_strategy").set_value("entropy")
    at.number_input(key="ll_project_read_pause").set_value(400)
    [b for b in at.button if b.label == "Save settings"][0].click().run()
    saved = get_settings(app_env.db)
    assert (saved.batch_size, saved.strategy, saved.read_pause_ms) == (40, "entropy", 400)
    at.text_input(key="ll_project_new_label").input("mixed")
    [b for b in at.button if b.label == "Add label"][0].click().run()
    assert get_labels(app_env.db) == ["pos", "neg", "neutral", "mixed"]
    [b for b in at.button if b.label == "Import"][0].click().run()
    assert at.error[0].value == "choose a file to import first"
    at.number_input(key="ll_project_eval_size").set_value(4)
    [b for b in at.button if b.label == "Reserve"][0].click().run()
    assert at.success[0].value == "Reserved 4 evaluation items."
