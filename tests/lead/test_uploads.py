"""Uploaded files import like the CLI: same validation, nothing changed on a bad file."""

from __future__ import annotations

import pytest

from annotator.errors import InputError, LabelSetError
from annotator.store.dashboard import pool_counts
from annotator.store.examples import get_example
from annotator.uploads import import_upload, safe_filename


def test_upload_imports_with_labels_and_keeps_its_name(project):
    data = "id,text,label\na1,first ticket,pos\na2,second ticket,neg\na3,third ticket,\n".encode()
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
