"""Multi-label imports and exports on real files: JSON lists, separator-joined cells, the final set by
per-label majority or the lead's adjudication, and a round trip giving back the same sets."""

from __future__ import annotations

import csv
import json

import pyarrow.parquet as pq
import pytest

from annotator.errors import InputError, LabelSetError
from annotator.services.exports import export, final_labels
from annotator.services.imports import import_file
from annotator.services.projects import create_project
from annotator.store.label_sets import add_label_set, current_label_sets
from tests.helpers.files import snapshot, write_csv, write_jsonl, write_parquet

LABELS = ["joy", "anger", "fear"]
ROWS = [
    {"text": "so happy and scared", "labels": ["fear", "joy"]},
    {"text": "furious", "labels": ["anger"]},
    {"text": "nothing at all", "labels": []},
    {"text": "unlabeled", "labels": None},
]


@pytest.fixture
def multi(tmp_path):
    with create_project(tmp_path / "m", LABELS, multi_label=True) as project:
        yield project


def _sets(project) -> dict[str, list[str]]:
    texts = dict(project.db.execute("SELECT id, text FROM examples").fetchall())
    return {texts[row["example_id"]]: row["names"] for row in current_label_sets(project.db)}


def test_jsonl_lists_become_sets_and_an_empty_list_the_empty_set(multi, tmp_path):
    summary = import_file(multi, write_jsonl(tmp_path / "d.jsonl", ROWS), label_column="labels")
    assert summary.examples_added == 4 and summary.labels_added == 3 and summary.rows_without_label == 1
    assert _sets(multi) == {"so happy and scared": ["joy", "fear"], "furious": ["anger"], "nothing at all": []}
    again = import_file(multi, write_jsonl(tmp_path / "d.jsonl", ROWS), label_column="labels")
    assert again.labels_unchanged == 3 and again.labels_added == 0


def test_csv_cells_joined_by_a_separator_or_as_json(multi, tmp_path):
    rows = [{"text": "a", "labels": "joy | anger"}, {"text": "b", "labels": '["fear"]'}, {"text": "c", "labels": ""}]
    import_file(multi, write_csv(tmp_path / "d.csv", rows), label_column="labels", label_separator="|")
    assert _sets(multi) == {"a": ["joy", "anger"], "b": ["fear"]}


def test_a_new_set_for_a_text_supersedes_the_imported_one(multi, tmp_path):
    import_file(multi, write_jsonl(tmp_path / "d.jsonl", ROWS[:1]), label_column="labels")
    summary = import_file(multi, write_jsonl(tmp_path / "e.jsonl", [{"text": ROWS[0]["text"], "labels": ["joy"]}]),
                          label_column="labels")
    assert summary.labels_superseded == 1 and _sets(multi) == {"so happy and scared": ["joy"]}


def test_bad_sets_are_one_line_errors_and_change_nothing(multi, tmp_path):
    before = snapshot(multi)
    with pytest.raises(LabelSetError, match="label 'jyo' is not in the label set.*did you mean 'joy'"):
        import_file(multi, write_jsonl(tmp_path / "d.jsonl", [{"text": "x", "labels": ["jyo"]}]), label_column="labels")
    with pytest.raises(InputError, match="not a list of labels"):
        import_file(multi, write_jsonl(tmp_path / "e.jsonl", [{"text": "x", "labels": {"joy": 1}}]),
                    label_column="labels")
    with pytest.raises(InputError, match="--label-separator needs a multi-label project"):
        import_file(multi, write_jsonl(tmp_path / "f.jsonl", ROWS), label_column="labels", label_separator=" ")
    assert snapshot(multi) == before


def test_a_separator_in_a_single_label_project_is_refused(tmp_path):
    with create_project(tmp_path / "s", ["a", "b"]) as single:
        with pytest.raises(InputError, match="needs a multi-label project"):
            import_file(single, write_csv(tmp_path / "d.csv", [{"text": "x", "label": "a"}]), label_column="label",
                        label_separator="|")


def test_final_set_is_the_per_label_majority_or_the_leads_set(multi, tmp_path):
    import_file(multi, write_jsonl(tmp_path / "d.jsonl", [{"text": "t1"}, {"text": "t2"}]))
    t1, t2 = (row[0] for row in multi.db.execute("SELECT id FROM examples ORDER BY id"))
    add_label_set(multi.db, t1, ["joy", "fear"], "ann1")
    add_label_set(multi.db, t1, ["joy"], "ann2")
    add_label_set(multi.db, t1, ["joy", "fear", "anger"], "ann3")
    add_label_set(multi.db, t2, ["joy"], "ann1")
    add_label_set(multi.db, t2, ["anger"], "ann2")
    first, second = final_labels(multi)
    assert first["labels"] == ["joy", "fear"] and first["tie"] is None and first["agreement"] == round(1 / 3, 4)
    assert second["labels"] == [] and second["tie"] == ["joy", "anger"] and second["n_labels"] == 2
    add_label_set(multi.db, t2, ["anger", "fear"], "lead", kind="adjudication")
    second = final_labels(multi)[1]
    assert second["labels"] == ["anger", "fear"] and second["adjudicated_by"] == "lead" and second["tie"] is None


@pytest.mark.parametrize("fmt", ["jsonl", "parquet", "csv"])
def test_export_then_import_gives_back_the_same_sets(multi, tmp_path, fmt):
    import_file(multi, write_jsonl(tmp_path / "d.jsonl", ROWS), label_column="labels")
    out = tmp_path / f"out.{fmt}"
    assert export(multi, out, fmt) == 3
    if fmt == "jsonl":
        lists = [json.loads(line)["labels"] for line in out.read_text().splitlines()]
    elif fmt == "parquet":
        lists = pq.read_table(out).column("labels").to_pylist()
    else:
        with out.open(newline="") as handle:
            lists = [row["labels"] for row in csv.DictReader(handle)]
        assert lists == ["joy|fear", "anger", "[]"]
        lists = [cell.split("|") if cell != "[]" else [] for cell in lists]
    assert lists == [["joy", "fear"], ["anger"], []]
    with create_project(tmp_path / "back", LABELS, multi_label=True) as back:
        import_file(back, out, label_column="labels", label_separator="|" if fmt == "csv" else None)
        assert _sets(back) == _sets(multi)


def test_a_csv_export_refuses_a_separator_inside_a_label(tmp_path):
    with create_project(tmp_path / "m", ["a|b", "c"], multi_label=True) as project:
        import_file(project, write_parquet(tmp_path / "d.parquet", [{"text": "x", "labels": ["a|b"]}]),
                    label_column="labels")
        with pytest.raises(InputError, match="occurs in the label 'a|b'"):
            export(project, tmp_path / "out.csv", "csv")
        assert not (tmp_path / "out.csv").exists()
        assert export(project, tmp_path / "out.csv", "csv", label_separator=";") == 1
