"""Bad input: a one-line error naming the file and the row, and the database unchanged."""

from __future__ import annotations

import pytest

from annotator.errors import InputError, LabelSetError
from annotator.importer import import_file

from .conftest import snapshot, write_csv, write_jsonl, write_rows


@pytest.fixture
def seeded(project, tmp_path):
    """A project that already holds a few examples and labels."""
    path = write_csv(tmp_path / "seed.csv", [{"text": "seed one", "label": "pos"}, {"text": "seed two", "label": "neg"}])
    import_file(project, path, label_column="label")
    return project


def _refused(project, path, expected: str, error=InputError, **options):
    before = snapshot(project)
    with pytest.raises(error) as caught:
        import_file(project, path, **options)
    message = str(caught.value)
    assert "\n" not in message
    assert str(path) in message
    assert expected in message, message
    assert snapshot(project) == before
    return message


def test_missing_text_column_csv(seeded, tmp_path):
    path = write_csv(tmp_path / "bad.csv", [{"body": "hello"}])
    _refused(seeded, path, "header: no text column 'text'")


def test_missing_label_column_csv(seeded, tmp_path):
    path = write_csv(tmp_path / "bad.csv", [{"text": "hello"}])
    _refused(seeded, path, "header: no label column 'lab'", label_column="lab")


@pytest.mark.parametrize("fmt,place", [("jsonl", "line 3"), ("json", "item 3"), ("parquet", "row 3")])
def test_missing_field_in_a_row(seeded, tmp_path, fmt, place):
    rows = [{"text": "new a", "label": "pos"}, {"text": "new b", "label": "neg"}, {"text": None, "label": "pos"}]
    if fmt != "parquet":
        rows[2] = {"label": "pos"}
        expected = f"{place}: no text field 'text'"
    else:
        expected = f"{place}: non-text value in column 'text' (empty)"
    _refused(seeded, write_rows(tmp_path, fmt, rows), expected, label_column="label")


@pytest.mark.parametrize("fmt,place", [("csv", "row 2"), ("tsv", "row 2"), ("jsonl", "line 2"), ("json", "item 2"), ("parquet", "row 2")])
def test_empty_text(seeded, tmp_path, fmt, place):
    rows = [{"text": "fine", "label": "pos"}, {"text": "   ", "label": "pos"}]
    _refused(seeded, write_rows(tmp_path, fmt, rows), f"{place}: empty text in column 'text'")


@pytest.mark.parametrize("fmt,place", [("jsonl", "line 2"), ("json", "item 2"), ("parquet", "row 2")])
def test_non_text_value(seeded, tmp_path, fmt, place):
    rows = [{"text": "1", "n": 1}, {"text": 42, "n": 2}] if fmt != "parquet" else None
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = tmp_path / "data.parquet"
        pq.write_table(pa.table({"text": [1.5, 2.5]}), path)
        _refused(seeded, path, "row 1: non-text value in column 'text' (float)")
        return
    _refused(seeded, write_rows(tmp_path, fmt, rows), f"{place}: non-text value in column 'text' (int)")


def test_non_text_label(seeded, tmp_path):
    path = write_jsonl(tmp_path / "bad.jsonl", [{"text": "x", "label": "pos"}, {"text": "y", "label": [1]}])
    _refused(seeded, path, "line 2: non-text value in column 'label' (list)", label_column="label")


@pytest.mark.parametrize(
    "fmt,content,place",
    [
        ("csv", b"text,label\nfine,pos\n\"two\nlines\",pos\nbad \xff byte,pos\n", "row 3"),
        ("csv", b"te\xffxt,label\nfine,pos\n", "header"),
        ("tsv", b"text\tlabel\nfine\tpos\nbad \xc3\x28\tpos\n", "row 2"),
        ("jsonl", b'{"text": "fine"}\n{"text": "bad \xfe"}\n', "line 2"),
        ("json", b'[{"text": "fine"},\n {"text": "bad \xfe"}]', "line 2"),
    ],
)
def test_undecodable_bytes(seeded, tmp_path, fmt, content, place):
    path = tmp_path / f"bad.{fmt}"
    path.write_bytes(content)
    _refused(seeded, path, f"{place}: undecodable bytes")


def test_unknown_label(seeded, tmp_path):
    path = write_csv(tmp_path / "bad.csv", [{"text": "new", "label": "pos"}, {"text": "other", "label": "spam"}])
    message = _refused(seeded, path, "row 2: label 'spam' is not in the label set", LabelSetError, label_column="label")
    assert "pos, neg, neutral" in message


def test_malformed_jsonl_line(seeded, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "fine"}\n\n{"text": "broken"\n{"text": "after"}\n', encoding="utf-8")
    _refused(seeded, path, "line 3: malformed JSON")


def test_jsonl_line_not_an_object(seeded, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "fine"}\n["text"]\n', encoding="utf-8")
    _refused(seeded, path, "line 2: expected a JSON object, got an array")


def test_malformed_json_array(seeded, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('[{"text": "fine"},\n{"text": }]', encoding="utf-8")
    _refused(seeded, path, "line 2: malformed JSON")
    path.write_text('{"text": "not an array"}', encoding="utf-8")
    _refused(seeded, path, "expected a JSON array of objects")


def test_csv_row_with_extra_field(seeded, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("text,label\nfine,pos\nso, many, fields,pos\n", encoding="utf-8")
    _refused(seeded, path, "row 2: has 4 fields, the header has 2")


def test_unknown_format(seeded, tmp_path):
    path = tmp_path / "data.xlsx"
    path.write_bytes(b"whatever")
    _refused(seeded, path, "cannot tell the format")
    before = snapshot(seeded)
    with pytest.raises(InputError, match="unknown format 'xml'"):
        import_file(seeded, path, fmt="xml")
    assert snapshot(seeded) == before


def test_corrupt_parquet(seeded, tmp_path):
    path = tmp_path / "bad.parquet"
    path.write_bytes(b"PAR1 this is not parquet")
    _refused(seeded, path, "cannot read Parquet")


def test_missing_file(seeded, tmp_path):
    _refused(seeded, tmp_path / "nothing.csv", "no such file")


def test_error_late_in_a_big_file_changes_nothing(seeded, tmp_path):
    rows = [{"text": f"text number {i}", "label": "pos"} for i in range(3000)] + [{"text": "", "label": "pos"}]
    _refused(seeded, write_csv(tmp_path / "big.csv", rows), "row 3001: empty text", label_column="label")


def test_csv_bad_quoting(seeded, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text('text,label\nfine,pos\n"half "quoted,pos\n', encoding="utf-8")
    _refused(seeded, path, "row 2: malformed CSV")
