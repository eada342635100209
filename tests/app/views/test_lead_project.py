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
    assert at.selectbox(key="ll_project_label_prior").value == "auto"
    at.selectbox(key="ll_project_label_prior").set_value("on")
    [b for b in at.button if b.label == "Save settings"][0].click().run()
    saved = get_settings(app_env.db)
    assert (saved.batch_size, saved.strategy, saved.read_pause_ms, saved.label_prior) == (40, "entropy", 400, "on")
    at.text_input(key="ll_project_new_label").input("mixed")
    [b for b in at.button if b.label == "Add label"][0].click().run()
    assert get_labels(app_env.db) == ["pos", "neg", "neutral", "mixed"]
    [b for b in at.button if b.label == "Import"][0].click().run()
    assert at.error[0].value == "choose a file to import first"
    at.number_input(key="ll_project_eval_size").set_value(4)
    [b for b in at.button if b.label == "Reserve"][0].click().run()
    assert at.success[0].value == "Reserved 4 evaluation items."


def _submit(at, label: str):
    [b for b in at.button if b.label == label][0].click().run()
    return at


def test_labels_are_renamed_merged_and_deleted_on_the_page_with_the_message_under_the_form(app_env):
    from annotator.services.labelset import label_changes

    at = page("lead_project.py", "lead")
    at.selectbox(key="ll_project_rename_old").set_value("pos")
    at.text_input(key="ll_project_rename_new").input("positive")
    _submit(at, "Rename")
    assert get_labels(app_env.db) == ["positive", "neg", "neutral"]
    # the message is in the label section, before the settings header
    blocks = [e for e in at.main if getattr(e, "type", None) in ("success", "error") or
              (getattr(e, "type", None) == "header")]
    order = [getattr(e, "value", "") for e in blocks]
    assert order.index("Label set") < [i for i, v in enumerate(order) if "Renamed" in v][0] < order.index(
        "Guidelines and loop settings")
    at.selectbox(key="ll_project_merge_from").set_value("neutral")
    at.selectbox(key="ll_project_merge_into").set_value("neg")
    _submit(at, "Merge")
    assert get_labels(app_env.db) == ["positive", "neg"]
    at.selectbox(key="ll_project_delete_label").set_value("neg")
    _submit(at, "Delete")
    assert "move them to another label first" in at.error[0].value
    at.selectbox(key="ll_project_delete_label").set_value("neg")
    at.selectbox(key="ll_project_delete_move").set_value("positive")
    _submit(at, "Delete")
    assert get_labels(app_env.db) == ["positive"]
    assert [(c["action"], c["actor"]) for c in label_changes(app_env.db)][:3] == [
        ("delete", "lead"), ("merge", "lead"), ("rename", "lead")]


def test_context_columns_are_picked_from_the_imported_columns(app_env, tmp_path):
    from annotator.services.imports import import_file

    data = tmp_path / "more.csv"
    data.write_text("text,author,thread\nA new one,maria,42\n", encoding="utf-8")
    import_file(app_env, data)
    at = page("lead_project.py", "lead")
    box = at.multiselect(key="ll_project_context_columns")
    assert box.options == ["author", "thread"] and box.value == []
    box.set_value(["author"])
    _submit(at, "Save columns")
    assert get_settings(app_env.db).context_columns == "author"
    assert any("annotators see author" in s.value for s in at.success)
