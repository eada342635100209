"""Import: every format, duplicates, labels attached and superseded, the evaluation set."""

from __future__ import annotations

import json

import pytest

from annotator.errors import InputError
from annotator.services.imports import import_file
from annotator.services.settings import set_settings
from annotator.services.stats import project_stats
from annotator.store.labels import current_labels, label_history
from tests.helpers.files import write_csv, write_rows

pytestmark = pytest.mark.both_backends  # each test using `project` runs on SQLite and on PostgreSQL

FORMATS = ["csv", "tsv", "jsonl", "json", "parquet"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_import_each_format(project, tmp_path, sample_rows, fmt):
    path = write_rows(tmp_path, fmt, sample_rows)
    summary = import_file(project, path, label_column="label", id_column="id")
    assert summary.format == fmt
    assert summary.rows_read == 4
    assert summary.examples_added == 3
    assert summary.duplicates_in_file == 1
    assert summary.labels_added == 3
    stats = project_stats(project)
    assert stats["pool"] == 3 and stats["labeled"] == 3
    # within one file the later row wins: "Great service" ends up neg
    assert stats["per_label"] == {"pos": 0, "neg": 2, "neutral": 1}
    assert stats["per_annotator"] == {"import": 3}
    row = project.db.execute("SELECT ext_id, meta, source FROM examples WHERE ext_id = 'a2'").fetchone()
    assert json.loads(row[1]) == {"source_app": "chat"}
    assert row[2] == path.name


def test_import_without_labels_and_explicit_format(project, tmp_path, sample_rows):
    path = write_rows(tmp_path, "jsonl", sample_rows)
    renamed = path.rename(tmp_path / "data.txt")
    summary = import_file(project, renamed, fmt="jsonl")
    assert summary.examples_added == 3 and summary.labels_added == 0
    assert project_stats(project)["labeled"] == 0
    meta = json.loads(project.db.execute("SELECT meta FROM examples LIMIT 1").fetchone()[0])
    assert meta["label"] == "neg" and meta["id"] == "a1"  # other columns kept as metadata


def test_text_already_in_pool_gets_label_attached(project, tmp_path):
    import_file(project, write_csv(tmp_path / "pool.csv", [{"text": "one"}, {"text": "two"}]))
    summary = import_file(
        project, write_csv(tmp_path / "labels.csv", [{"text": " one ", "label": "pos"}]), label_column="label"
    )
    assert summary.examples_added == 0 and summary.already_in_pool == 1 and summary.labels_added == 1
    stats = project_stats(project)
    assert stats["pool"] == 2 and stats["labeled"] == 1 and stats["per_label"]["pos"] == 1


def test_reimport_supersedes_changed_labels_only(project, tmp_path):
    first = write_csv(tmp_path / "a.csv", [{"text": "one", "label": "pos"}, {"text": "two", "label": "neg"}])
    import_file(project, first, label_column="label")
    again = import_file(project, first, label_column="label")
    assert (again.labels_added, again.labels_superseded, again.labels_unchanged) == (0, 0, 2)
    changed = write_csv(tmp_path / "b.csv", [{"text": "one", "label": "neutral"}, {"text": "two", "label": "neg"}])
    summary = import_file(project, changed, label_column="label")
    assert (summary.labels_added, summary.labels_superseded, summary.labels_unchanged) == (1, 1, 1)
    example_id = project.db.execute("SELECT id FROM examples WHERE text = 'one'").fetchone()[0]
    assert [row["label"] for row in current_labels(project.db, example_id)] == ["neutral"]
    history = label_history(project.db, example_id)
    assert [(row["label"], row["superseded"], row["superseded_reason"]) for row in history] == [
        ("pos", 1, "relabel"),
        ("neutral", 0, None),
    ]
    # another annotator's label does not supersede the first one's
    import_file(project, first, label_column="label", annotator="bob")
    assert {row["annotator"] for row in current_labels(project.db, example_id)} == {"import", "bob"}


def test_empty_label_cell_means_no_label(project, tmp_path):
    path = write_csv(tmp_path / "a.csv", [{"text": "one", "label": ""}, {"text": "two", "label": "pos"}])
    summary = import_file(project, path, label_column="label")
    assert summary.rows_without_label == 1 and summary.labels_added == 1
    assert project_stats(project)["pool"] == 2


def test_eval_set_is_marked(project, tmp_path):
    import_file(project, write_csv(tmp_path / "pool.csv", [{"text": "one"}, {"text": "two"}]))
    summary = import_file(
        project,
        write_csv(tmp_path / "eval.csv", [{"text": "two", "label": "pos"}, {"text": "three", "label": "neg"}]),
        label_column="label",
        eval_set=True,
    )
    assert summary.marked_eval == 2
    flags = dict(project.db.execute("SELECT text, is_eval FROM examples").fetchall())
    assert flags == {"one": 0, "two": 1, "three": 1}
    stats = project_stats(project)
    assert stats["eval"] == 2 and stats["eval_labeled"] == 2


def test_utf8_bom_and_long_text(project, tmp_path):
    set_settings(project.db, max_text_chars=300_000)
    path = tmp_path / "bom.csv"
    long_text = "word " * 40_000  # longer than csv's default field limit and the default max_text_chars
    path.write_bytes(b"\xef\xbb\xbftext,label\r\n" + f'"{long_text}",pos\r\ncafé,neg\r\n'.encode())
    summary = import_file(project, path, label_column="label")
    assert summary.examples_added == 2
    assert project.db.execute("SELECT COUNT(*) FROM examples WHERE text = 'café'").fetchone()[0] == 1


def test_a_users_own_leading_quote_is_kept(project, tmp_path):
    """Only our own export's protecting quote is removed; a quote the user wrote is part of their text."""
    texts = ["'=SUM(A1:A3) is how you write a formula as text", "'-) a smiley", "''@handle", "'plain"]
    path = write_csv(tmp_path / "mine.csv", [{"text": text, "note": "'=x"} for text in texts])
    assert import_file(project, path).examples_added == 4
    rows = project.db.execute("SELECT text, meta FROM examples ORDER BY id").fetchall()
    assert [text for text, _ in rows] == texts
    assert {json.loads(meta)["note"] for _, meta in rows} == {"'=x"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_max_text_chars_is_a_project_setting(project, tmp_path, fmt):
    rows = [{"text": "short"}, {"text": "y" * 100_001}]
    path = write_rows(tmp_path, fmt, rows)
    with pytest.raises(InputError, match=r"(row|line|item) 2: the text in column 'text' has 100,001 characters"):
        import_file(project, path)
    assert project_stats(project)["pool"] == 0
    set_settings(project.db, max_text_chars=100_001)
    assert import_file(project, path).examples_added == 2
