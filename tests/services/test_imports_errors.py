"""Bad input: a one-line error naming the file and the row, and the database unchanged."""

from __future__ import annotations

import os

import pytest

from annotator.errors import InputError, LabelSetError, StoreError
from annotator.services.imports import import_file
from tests.helpers.files import snapshot, write_csv, write_jsonl, write_rows


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


def test_file_name_too_long(seeded, tmp_path):
    _refused(seeded, tmp_path / ("n" * 300 + ".csv"), "cannot read: File name too long")


def test_error_late_in_a_big_file_changes_nothing(seeded, tmp_path):
    rows = [{"text": f"text number {i}", "label": "pos"} for i in range(3000)] + [{"text": "", "label": "pos"}]
    _refused(seeded, write_csv(tmp_path / "big.csv", rows), "row 3001: empty text", label_column="label")


def test_csv_bad_quoting(seeded, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text('text,label\nfine,pos\n"half "quoted,pos\n', encoding="utf-8")
    _refused(seeded, path, "row 2: malformed CSV")


# ---------------------------------------------------------------- issue 15: what an attack found

ALL_FORMATS = [("csv", "row 2"), ("tsv", "row 2"), ("jsonl", "line 2"), ("json", "item 2"), ("parquet", "row 2")]
INVISIBLE = ["\u200b", "\u200b\u200c\u200d\u2060\ufeff", " \u3164 \u115f", "\u00ad\u034f\u180e", "\u2800", "\u202e\u202c",
             "\ufe0f\U000e0100", "\u2028\u2029\x85"]


@pytest.mark.parametrize("fmt,place", ALL_FORMATS)
@pytest.mark.parametrize("text", INVISIBLE, ids=range(len(INVISIBLE)))
def test_text_of_invisible_characters_is_empty(seeded, tmp_path, fmt, place, text):
    """Nobody can label what they cannot see: zero-width spaces, joiners, fillers and marks make an empty text."""
    rows = [{"text": "fine", "label": "pos"}, {"text": text, "label": "pos"}]
    _refused(seeded, write_rows(tmp_path, fmt, rows), f"{place}: empty text in column 'text'", label_column="label")


@pytest.mark.parametrize("fmt,place", ALL_FORMATS)
def test_text_holding_nul_is_refused(seeded, tmp_path, fmt, place):
    rows = [{"text": "fine"}, {"text": "bin\x00ary"}]
    _refused(seeded, write_rows(tmp_path, fmt, rows), f"{place}: the text in column 'text' holds a NUL character")


@pytest.mark.parametrize("fmt,place", [("jsonl", "line 2"), ("json", "item 2")])
@pytest.mark.parametrize("depth", [25, 100_000])
def test_deeply_nested_json(seeded, tmp_path, fmt, place, depth):
    """Deeper than the interpreter's stack (RecursionError before) or than metadata keeps: one line."""
    deep = "[" * depth + "]" * depth
    lines = ['{"text": "fine"}', '{"text": "deep", "v": ' + deep + '}']
    path = tmp_path / f"deep.{fmt}"
    path.write_text("\n".join(lines) if fmt == "jsonl" else "[" + ",\n".join(lines) + "]", encoding="utf-8")
    _refused(seeded, path, f"{place}: nested deeper than 20 levels")


@pytest.mark.parametrize("fmt,place", [("jsonl", "line 2"), ("json", "item 2")])
def test_integer_of_5000_digits(seeded, tmp_path, fmt, place):
    lines = ['{"text": "fine"}', '{"text": "big", "n": %s}' % ("9" * 5000)]
    path = tmp_path / f"big.{fmt}"
    path.write_text("\n".join(lines) if fmt == "jsonl" else "[" + ",\n".join(lines) + "]", encoding="utf-8")
    _refused(seeded, path, f"{place}: a number with more than 4,300 digits")


@pytest.mark.parametrize("fmt,place", [("jsonl", "line 2"), ("json", "item 2")])
@pytest.mark.parametrize("where", ["text", "id", "meta", "key"])
def test_lone_surrogate(seeded, tmp_path, fmt, place, where):
    """JSON can spell a lone surrogate (\\ud800); SQLite cannot store it and stderr cannot print it raw."""
    bad = {"text": {"text": "a \\ud800 b", "id": "2"}, "id": {"text": "t", "id": "x\\udfff"},
           "meta": {"text": "t", "id": "2", "note": "\\ud83d"}, "key": {"text": "t", "id": "2", "n\\udc00": 1}}[where]
    item = "{" + ", ".join(f'"{key}": ' + (f'"{value}"' if isinstance(value, str) else str(value))
                           for key, value in bad.items()) + "}"
    lines = ['{"text": "fine", "id": "1"}', item]
    path = tmp_path / f"s.{fmt}"
    path.write_text("\n".join(lines) if fmt == "jsonl" else "[" + ",\n".join(lines) + "]", encoding="utf-8")
    message = _refused(seeded, path, f"{place}: column ", id_column="id")
    assert "lone surrogate" in message
    message.encode("utf-8")  # printable as is


def test_lone_surrogate_label_is_reported_printably(seeded, tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text('{"text": "fine", "label": "pos"}\n{"text": "t", "label": "p\\ud800s"}\n', encoding="utf-8")
    message = _refused(seeded, path, "line 2: label 'p\\ud800s' is not in the label set", LabelSetError,
                       label_column="label")
    message.encode("utf-8")


def test_file_name_with_a_line_break_gives_one_line(seeded, tmp_path):
    path = write_csv(tmp_path / "bad\nname.csv", [{"body": "x"}])
    before = snapshot(seeded)
    with pytest.raises(InputError) as caught:
        import_file(seeded, path)
    assert str(caught.value).startswith(str(tmp_path) + "/bad\\nname.csv: header: no text column")
    assert snapshot(seeded) == before


def test_file_name_that_is_not_utf8_imports_and_prints(project, tmp_path, capsys):
    """A Latin-1 file name reaches Python as a surrogate escape: stored as valid Unicode, printed escaped."""
    from annotator.cli import main

    path = tmp_path / os.fsdecode(b"caf\xe9.csv")
    path.write_text("text\nhello\n", encoding="utf-8")
    assert main(["import", str(path), "--project", str(project.path)]) == 0
    assert "caf\\udce9.csv" in capsys.readouterr().out
    (source,) = project.db.execute("SELECT source FROM examples").fetchone()
    assert source.startswith("caf") and source.endswith(".csv")


def test_full_database_is_one_line_and_changes_nothing(seeded, tmp_path, capsys):
    """SQLite's "database or disk is full" is reported as such, on one line, and nothing is imported."""
    if getattr(seeded.db, "dialect", "sqlite") == "postgresql":  # LABELLOOP_TEST_BACKEND=postgresql
        pytest.skip("SQLite's page limit: no PostgreSQL equivalent to set per schema")
    pages = seeded.db.execute("PRAGMA page_count").fetchone()[0]
    seeded.db.execute(f"PRAGMA max_page_count = {pages + 1}")
    path = write_csv(tmp_path / "many.csv", [{"text": f"text number {i} " + "x" * 300} for i in range(500)])
    before = snapshot(seeded)
    with pytest.raises(StoreError) as caught:
        import_file(seeded, path)
    message = str(caught.value)
    assert "database or disk is full" in message and "nothing was imported" in message and "\n" not in message
    assert snapshot(seeded) == before


@pytest.mark.parametrize("annotator", ["caf\udce9", "two\nlines", "tab\there", ""])
def test_annotator_name_that_cannot_be_stored_or_printed(seeded, tmp_path, annotator):
    path = write_csv(tmp_path / "a.csv", [{"text": "new", "label": "pos"}])
    before = snapshot(seeded)
    with pytest.raises(InputError, match="invalid annotator name") as caught:
        import_file(seeded, path, label_column="label", annotator=annotator)
    assert "\n" not in str(caught.value)
    str(caught.value).encode("utf-8")
    assert snapshot(seeded) == before
