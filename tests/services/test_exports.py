"""Export: final labels (majority, ties, adjudication), raw rows, round trip, CSV injection."""

from __future__ import annotations

import csv
import json
import os

import pytest

from annotator.errors import InputError
from annotator.io.readers import read_records
from annotator.services.exports import EXPORT_HEADERS, FINAL_COLUMNS, export, final_labels, raw_labels
from annotator.services.imports import import_file
from annotator.services.projects import create_project
from annotator.store.labels import add_label
from tests.helpers.files import spreadsheet_cells, write_csv, write_jsonl

pytestmark = pytest.mark.both_backends  # each test using `project` runs on SQLite and on PostgreSQL

LABELS = ["pos", "neg", "neutral"]


def _ids(project, texts):
    import_file(project, write_jsonl(project.path / "pool.jsonl", [{"text": t} for t in texts]))
    return dict(project.db.execute("SELECT text, id FROM examples").fetchall())


def _by_text(rows):
    return {row["text"]: row for row in rows}


@pytest.fixture
def labeled(project):
    """Examples covering majority, tie, adjudication, relabel and an unlabeled one."""
    ids = _ids(project, ["majority", "tie", "adjudicated", "relabeled", "unlabeled", "=1+1", "-minus", "'=quoted", "@at"])
    add_label(project.db, ids["majority"], "neg", "ann", model_version=3, strategy="margin", score=0.4)
    add_label(project.db, ids["majority"], "neg", "bob")
    add_label(project.db, ids["majority"], "pos", "cat", model_version=5)
    add_label(project.db, ids["tie"], "neutral", "ann")
    add_label(project.db, ids["tie"], "neg", "bob")
    add_label(project.db, ids["adjudicated"], "pos", "ann")
    add_label(project.db, ids["adjudicated"], "pos", "bob")
    add_label(project.db, ids["adjudicated"], "neg", "lead", kind="adjudication")
    add_label(project.db, ids["relabeled"], "pos", "ann")
    add_label(project.db, ids["relabeled"], "neutral", "ann")
    for text in ("=1+1", "-minus", "'=quoted", "@at"):
        add_label(project.db, ids[text], "pos", "ann")
    return project


def test_final_labels(labeled):
    rows = _by_text(final_labels(labeled))
    assert "unlabeled" not in rows
    majority = rows["majority"]
    assert (majority["label"], majority["tie"], majority["n_labels"]) == ("neg", None, 3)
    assert majority["annotators"] == ["ann", "bob", "cat"]
    assert majority["agreement"] == pytest.approx(2 / 3, abs=1e-4)
    assert majority["model_version"] == 5
    tie = rows["tie"]
    # tie resolved by label-set order: neg comes before neutral
    assert (tie["label"], tie["tie"], tie["agreement"]) == ("neg", ["neg", "neutral"], 0.5)
    adjudicated = rows["adjudicated"]
    assert (adjudicated["label"], adjudicated["adjudicated_by"], adjudicated["agreement"]) == ("neg", "lead", 0.0)
    assert adjudicated["n_labels"] == 2
    relabeled = rows["relabeled"]
    assert (relabeled["label"], relabeled["n_labels"]) == ("neutral", 1)


def test_latest_adjudication_wins(project):
    ids = _ids(project, ["x"])
    add_label(project.db, ids["x"], "pos", "ann")
    add_label(project.db, ids["x"], "neg", "lead1", kind="adjudication")
    add_label(project.db, ids["x"], "neutral", "lead2", kind="adjudication")
    (row,) = final_labels(project)
    assert (row["label"], row["adjudicated_by"]) == ("neutral", "lead2")


def test_raw_export_has_every_row(labeled, tmp_path):
    rows = raw_labels(labeled)
    assert len(rows) == 14
    relabels = [row for row in rows if row["text"] == "relabeled"]
    assert [(r["label"], r["superseded"], r["superseded_reason"]) for r in relabels] == [
        ("pos", True, "relabel"),
        ("neutral", False, None),
    ]
    first = rows[0]
    assert first["created_at"].endswith("Z") and "T" in first["created_at"]
    assert relabels[0]["superseded_at"].endswith("Z")
    assert (first["model_version"], first["strategy"], first["score"]) == (3, "margin", 0.4)
    out = tmp_path / "raw.jsonl"
    assert export(labeled, out, "jsonl", raw=True) == 14
    assert len(out.read_text(encoding="utf-8").splitlines()) == 14


def test_csv_injection_neutralised(labeled, tmp_path):
    out = tmp_path / "out.csv"
    export(labeled, out, "csv")
    with out.open(encoding="utf-8", newline="") as handle:
        texts = [row["text"] for row in csv.DictReader(handle)]
    assert "'=1+1" in texts and "'-minus" in texts and "'@at" in texts and "''=quoted" in texts
    assert not any(text[:1] in "=+-@\t\r" for text in texts if text)
    # in a file with an export's header the reader undoes exactly one quote: the original texts come back
    read = {row["text"] for row in read_records(out, exported_headers=EXPORT_HEADERS).rows}
    assert {"=1+1", "-minus", "'=quoted", "@at"} <= read


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_round_trip(labeled, tmp_path, fmt):
    out = tmp_path / f"export.{fmt}"
    count = export(labeled, out, fmt)
    original = {row["text"]: row["label"] for row in final_labels(labeled)}
    assert count == len(original) == 8
    with create_project(tmp_path / "fresh", LABELS) as fresh:
        summary = import_file(fresh, out, label_column="label", id_column="ext_id")
        assert summary.examples_added == 8 and summary.labels_added == 8
        again = {row["text"]: row["label"] for row in final_labels(fresh)}
    assert again == original


def test_export_without_eval(project, tmp_path):
    import_file(project, write_csv(tmp_path / "t.csv", [{"text": "train", "label": "pos"}]), label_column="label")
    import_file(
        project, write_csv(tmp_path / "e.csv", [{"text": "held out", "label": "neg"}]), label_column="label", eval_set=True
    )
    assert {row["text"]: row["is_eval"] for row in final_labels(project)} == {"train": False, "held out": True}
    assert [row["text"] for row in final_labels(project, include_eval=False)] == ["train"]
    out = tmp_path / "x.jsonl"
    assert export(project, out, "jsonl", include_eval=False) == 1
    assert json.loads(out.read_text())["text"] == "train"


def test_export_bad_format_or_folder(labeled, tmp_path):
    with pytest.raises(InputError, match="unknown export format"):
        export(labeled, tmp_path / "x.xlsx", "xlsx")
    with pytest.raises(InputError, match="no such folder"):
        export(labeled, tmp_path / "missing" / "x.csv", "csv")
    assert list(tmp_path.glob("*.tmp")) == []


# ---------------------------------------------------------------- hostile texts in CSV (issue 15, item 1)

ATTACK = "call me back\r=cmd|' /C calc'!A0"
# every character some reader takes as a line or field break, controls, quotes, formulas after a break
HOSTILE_TEXTS = [
    ATTACK, "lone\rreturn", "line\nfeed", "windows\r\nbreak", "trailing return\r", "\rleading return",
    "line\u2028separator", "paragraph\u2029separator", "next\x85line", "vertical\x0btab", "form\x0cfeed",
    "file\x1cgroup\x1drecord\x1eunit", "escape \x1b[31mred", "bell\x07", "tab\there", "\tleading tab",
    'a "quoted" word', '"', "'", "it's", "comma, inside", "new\n=1+1", "new\r\n+SUM(A1)", "x\r@cmd",
    "x\n-2+3", "  padded  ", "=HYPERLINK(\"http://x\")", "\u200bzero-width first", "semi;colon",
]


@pytest.mark.parametrize("text", HOSTILE_TEXTS, ids=range(len(HOSTILE_TEXTS)))
def test_csv_export_keeps_every_text_in_its_cell(project, tmp_path, text):
    """Python's csv and pandas read one row per example and the same text; our import gets the text back."""
    import pandas as pd

    ids = _ids(project, [text, "plain neighbour"])
    for example_id in ids.values():
        add_label(project.db, example_id, "neg", "ann")
    out = tmp_path / "out.csv"
    export(project, out, "csv")
    rows = spreadsheet_cells(out)
    assert len(rows) == 3 and all(len(row) == len(FINAL_COLUMNS) for row in rows)
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert len(frame) == 2 and list(frame.columns) == list(FINAL_COLUMNS)
    assert [row[2] for row in rows[1:]] == list(frame["text"])
    with create_project(tmp_path / "fresh", LABELS) as fresh:
        summary = import_file(fresh, out, label_column="label")
        assert (summary.rows_read, summary.examples_added, summary.labels_added) == (2, 2, 2)
        assert {row["text"]: row["label"] for row in final_labels(fresh)} == {text: "neg", "plain neighbour": "neg"}


def test_jsonl_export_escapes_unicode_line_separators(project, tmp_path):
    """A reader that splits lines on U+2028, U+2029 or U+0085 (str.splitlines) still sees one object a line."""
    texts = ["a\u2028b", "c\u2029d", "e\x85f"]
    for example_id in _ids(project, texts).values():
        add_label(project.db, example_id, "pos", "ann")
    out = tmp_path / "out.jsonl"
    export(project, out, "jsonl")
    lines = out.read_text(encoding="utf-8").splitlines()
    assert sorted(json.loads(line)["text"] for line in lines) == sorted(texts)


# ---------------------------------------------------------------- tie and annotators (issue 15, item 12)


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_tie_and_annotators_are_lists_whatever_the_names_hold(tmp_path, fmt):
    """Label and user names may hold "|" and ","; the export lists them, so nothing is ambiguous."""
    import pyarrow.parquet as pq

    with create_project(tmp_path / "p", ["a|b", "c,d", "e"]) as project:
        ids = _ids(project, ["split vote", "single"])
        add_label(project.db, ids["split vote"], "a|b", "smith, j")
        add_label(project.db, ids["split vote"], "c,d", "doe|k")
        add_label(project.db, ids["single"], "e", "smith, j")
        out = tmp_path / f"out.{fmt}"
        export(project, out, fmt)
    if fmt == "parquet":
        rows = pq.read_table(out).to_pylist()
    elif fmt == "jsonl":
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    else:
        with out.open(encoding="utf-8", newline="") as handle:
            rows = [
                {**row, "tie": json.loads(row["tie"]) if row["tie"] else None, "annotators": json.loads(row["annotators"])}
                for row in csv.DictReader(handle)
            ]
    by_text = {row["text"]: row for row in rows}
    assert by_text["split vote"]["tie"] == ["a|b", "c,d"]
    assert by_text["split vote"]["annotators"] == ["doe|k", "smith, j"]
    assert by_text["single"]["tie"] is None and by_text["single"]["annotators"] == ["smith, j"]


# ---------------------------------------------------------------- where the export goes (issue 15, item 11)


@pytest.mark.parametrize("where", ["under a file", "name too long", "read-only folder"])
def test_an_unwritable_out_is_a_one_line_error(labeled, tmp_path, capsys, where):
    from annotator.cli import main

    if where == "under a file":
        (tmp_path / "file.txt").write_text("x")
        out = tmp_path / "file.txt" / "labels.csv"
    elif where == "name too long":
        out = tmp_path / ("n" * 300 + ".csv")
    else:
        if os.geteuid() == 0:
            pytest.skip("root writes into a read-only folder")
        folder = tmp_path / "locked"
        folder.mkdir()
        folder.chmod(0o500)
        out = folder / "labels.csv"
    with pytest.raises(InputError, match="cannot write") as caught:
        export(labeled, out, "csv")
    assert "\n" not in str(caught.value)
    assert main(["export", "--project", str(labeled.path), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("labelloop: error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert [path.name for path in tmp_path.iterdir() if path.name.endswith(".tmp")] == []


def test_export_messages_can_name_the_file_without_its_folder(labeled, tmp_path):
    """The app exports into a temporary folder on the server: its messages name only the file."""
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(InputError) as caught:
        export(labeled, tmp_path / "file.txt" / "labels.csv", "csv", name="labels.csv")
    assert str(caught.value).startswith("labels.csv: cannot write") and str(tmp_path) not in str(caught.value)


def test_the_csv_export_is_write_rows_of_the_final_labels(labeled, tmp_path):
    # The CSV export makes its cells without a dict per row; the file must be the one write_rows
    # makes of final_labels(), byte for byte: one vote, several, a tie, an adjudication, a relabel,
    # formula texts, an evaluation text, an id, a label from a model version, flags and comments.
    from annotator.io.writers import write_rows
    from annotator.services.exports import LIST_COLUMNS
    from annotator.services.flags import add_comment, flag_text

    ids = _ids(labeled, ["single", "from the model", 'a "quoted"\r\nline', "evaluation"])
    add_label(labeled.db, ids["single"], "neg", "ann")
    add_label(labeled.db, ids["from the model"], "pos", "bob", model_version=4, strategy="margin", score=0.2)
    add_label(labeled.db, ids['a "quoted"\r\nline'], "neutral", "cat")
    labeled.db.execute("UPDATE examples SET is_eval = 1, ext_id = 'e-1' WHERE id = ?", (ids["evaluation"],))
    labeled.db.conn.commit()
    add_label(labeled.db, ids["evaluation"], "pos", "gold")
    flag_text(labeled, "ann", ids["single"], "ambiguous", "neg or neutral?")
    add_comment(labeled, "bob", ids["from the model"], "=looks fine")
    add_comment(labeled, "cat", ids["majority"], "three views")
    for include_eval in (True, False):
        fast, generic = tmp_path / f"fast{include_eval}.csv", tmp_path / f"generic{include_eval}.csv"
        n = export(labeled, fast, "csv", include_eval=include_eval)
        write_rows(final_labels(labeled, include_eval=include_eval), generic, "csv", FINAL_COLUMNS,
                   list_columns=LIST_COLUMNS)
        assert fast.read_bytes() == generic.read_bytes()
        assert n == len(final_labels(labeled, include_eval=include_eval)) == 11 + include_eval
