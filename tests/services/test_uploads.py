"""Uploaded files import like the CLI: same validation, nothing changed on a bad file."""

from __future__ import annotations

import tempfile

import pytest

from annotator.errors import InputError, LabelSetError
from annotator.services.uploads import import_upload, safe_filename
from annotator.store.examples import get_example
from annotator.store.reporting import pool_counts


def test_upload_imports_with_labels_and_keeps_its_name(project):
    data = b"id,text,label\na1,first ticket,pos\na2,second ticket,neg\na3,third ticket,\n"
    summary = import_upload(project, "My Tickets (v2).csv", data, id_column="id", label_column="label",
                            annotator="vendor")
    assert (summary.examples_added, summary.labels_added, summary.rows_without_label) == (3, 2, 1)
    assert summary.path == "My Tickets (v2).csv"
    assert get_example(project.db, 1)["source"] == "My_Tickets_v2_.csv"


def test_upload_format_follows_the_extension(project):
    data = b'{"text": "a json line"}\n{"text": "another"}\n'
    assert import_upload(project, "lines.jsonl", data).examples_added == 2


def test_bad_upload_changes_nothing(project):
    with pytest.raises(InputError, match="text"):
        import_upload(project, "x.csv", b"body,label\nhello,pos\n")
    with pytest.raises(LabelSetError):
        import_upload(project, "x.csv", b"text,label\nhello,unknown\n", label_column="label")
    with pytest.raises(InputError, match="empty"):
        import_upload(project, "x.csv", b"")
    assert pool_counts(project.db)["examples"] == 0


def test_safe_filename():
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("C:\\data\\set.csv") == "set.csv"
    assert safe_filename("...") == "upload"


# ---------------------------------------------------------------- issue 15: hostile uploads


def _upload_refused(project, filename, data, expected, **options):
    with pytest.raises(InputError) as caught:
        import_upload(project, filename, data, **options)
    message = str(caught.value)
    assert "\n" not in message and expected in message, message
    assert tempfile.gettempdir() not in message and "labelloop_upload_" not in message, message
    assert pool_counts(project.db)["examples"] == 0
    return message


@pytest.mark.parametrize("filename,data,expected", [
    ("x.csv", b"body\nhello\n", "x.csv: header: no text column"),
    ("x.parquet", b"PAR1 not parquet at all PAR1", "x.parquet: cannot read Parquet"),
    ("x.jsonl", b'{"text": "ok"}\n{"text": \n', "x.jsonl: line 2: malformed JSON"),
    ("x.csv", b"text\n\xff\n", "x.csv: row 1: undecodable bytes"),
    ("x.xlsx", b"whatever", "x.xlsx: cannot tell the format"),
])
def test_upload_errors_never_show_the_server_path(project, filename, data, expected):
    _upload_refused(project, filename, data, expected)


def test_upload_with_a_5000_character_name(project):
    name = "n" * 5000 + ".csv"
    summary = import_upload(project, name, b"text\nhello\n")
    assert summary.examples_added == 1 and len(summary.path) < 200
    assert get_example(project.db, 1)["source"].endswith(".csv")
    message = str(pytest.raises(InputError, import_upload, project, name, b"body\nx\n").value)
    assert len(message) < 300 and "\n" not in message


def test_upload_name_with_a_line_break_shows_on_one_line(project):
    _upload_refused(project, "evil\nname\u2028.csv", b"body\nhello\n", "evil\\nname\\u2028.csv: header")


def test_upload_follows_max_text_chars(project):
    from annotator.services.settings import set_settings

    data = ("text\nshort\n" + "y" * 100_001 + "\n").encode()
    _upload_refused(project, "long.csv", data, "long.csv: row 2: the text in column 'text' has 100,001 characters")
    set_settings(project.db, max_text_chars=200_000)
    assert import_upload(project, "long.csv", data).examples_added == 2


def test_upload_of_a_parquet_bomb_is_refused_before_it_inflates(project):
    """A few hundred bytes of Parquet that decode to 200 MB: refused from Arrow's dictionary, not a MemoryError."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = pa.BufferOutputStream()
    repeated = pa.DictionaryArray.from_arrays(pa.array([0] * 100, pa.int32()), pa.array(["x" * 2_000_000]))
    pq.write_table(pa.table({"text": repeated}), sink, compression="zstd")
    data = sink.getvalue().to_pybytes()
    assert len(data) < 10_000
    _upload_refused(project, "bomb.parquet", data, "bomb.parquet: row 1: holds 1.9 MB once read")
