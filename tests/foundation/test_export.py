"""Export: final labels (majority, ties, adjudication), raw rows, round trip, CSV injection."""

from __future__ import annotations

import csv
import json

import pytest

from annotator.errors import InputError
from annotator.exporter import export, final_labels, raw_labels
from annotator.importer import import_file
from annotator.io.readers import read_records
from annotator.store import create_project
from annotator.store.labels import add_label

from .conftest import write_csv, write_jsonl

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
    assert majority["annotators"] == "ann,bob,cat"
    assert majority["agreement"] == pytest.approx(2 / 3, abs=1e-4)
    assert majority["model_version"] == 5
    tie = rows["tie"]
    # tie resolved by label-set order: neg comes before neutral
    assert (tie["label"], tie["tie"], tie["agreement"]) == ("neg", "neg|neutral", 0.5)
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
    # the reader undoes exactly one quote: the round trip gives the original texts back
    read = {row["text"] for row in read_records(out).rows}
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


def test_csv_reader_removes_one_neutralising_quote(tmp_path):
    """A CSV cell "'=x" (quote before a formula character) reads as "=x"; other quotes stay."""
    path = tmp_path / "q.csv"
    path.write_text("text\n'=x\n''+y\n'plain\nit's\n", encoding="utf-8")
    assert [row["text"] for row in read_records(path).rows] == ["=x", "'+y", "'plain", "it's"]
