"""labelloop predict and the Export page's pool predictions: the exported model's answers, streamed."""

from __future__ import annotations

import csv
import json

import pyarrow.parquet as pq
import pytest

from annotator.cli import main
from annotator.services.model_export import zip_model
from annotator.services.predictions import latest_pool_predictions, request_pool_predictions
from annotator.store import jobs as job_store
from tests.helpers.models import pipeline_of, unzip
from tests.helpers.team import gold


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_predict_a_file_agrees_with_the_exported_pipeline(modelled, tmp_path, capsys):
    texts = [t for t, _ in gold(30, offset=500)] + ["a line\rwith a carriage return", "=cmd|' /C calc'!A0"]
    source = tmp_path / "new.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ticket", "body"])
        writer.writerows([f"T{i}", t] for i, t in enumerate(texts))
    out = tmp_path / "preds.csv"
    assert main(["predict", "--project", str(modelled.path), str(source), "--text-column", "body",
                 "--id-column", "ticket", "--out", str(out)]) == 0
    assert f"wrote {len(texts)} predictions of model v{modelled.version}" in capsys.readouterr().out
    rows = read_csv(out)
    assert [r["id"] for r in rows] == [f"T{i}" for i in range(len(texts))]
    assert rows[-2]["text"] == texts[-2] and rows[-1]["text"] == "'" + texts[-1]  # spreadsheet-safe
    classify = pipeline_of(unzip(zip_model(modelled, tmp_path / "m.zip"), tmp_path / "m"))
    answers = classify(texts)
    assert [r["predicted"] for r in rows] == [a["label"] for a in answers]
    for row, answer in zip(rows, answers):
        assert float(row["confidence"]) == pytest.approx(answer["score"], abs=1e-4)
        probabilities = [float(row[f"proba_{label}"]) for label in ("pos", "neg", "neutral")]
        assert sum(probabilities) == pytest.approx(1.0, abs=1e-4) and row["model_version"] == str(modelled.version)


def test_predict_the_pool_with_top_k_in_every_format(modelled, tmp_path):
    from annotator.store.trainset import count_pool

    unlabeled = count_pool(modelled.db)
    assert main(["predict", "--project", str(modelled.path), "--pool", "--top", "2",
                 "--out", str(tmp_path / "pool.jsonl")]) == 0
    rows = [json.loads(line) for line in (tmp_path / "pool.jsonl").read_text().splitlines()]
    assert len(rows) == unlabeled == 45 - 15
    assert set(rows[0]) == {"id", "ext_id", "text", "predicted", "confidence", "model_version",
                            "top1_label", "top1_score", "top2_label", "top2_score"}
    assert all(r["top1_label"] == r["predicted"] and r["top1_score"] >= r["top2_score"] for r in rows)
    assert main(["predict", "--project", str(modelled.path), "--pool", "--out", str(tmp_path / "pool.parquet")]) == 0
    table = pq.read_table(tmp_path / "pool.parquet")
    assert table.num_rows == unlabeled and "proba_neutral" in table.column_names
    assert table.column("predicted").to_pylist() == [r["predicted"] for r in rows]


def test_predict_refusals_leave_no_file(modelled, tmp_path, capsys):
    source = tmp_path / "texts.jsonl"
    source.write_text('{"text": "fine"}\n{"body": "no text field"}\n', encoding="utf-8")
    out = tmp_path / "p.csv"
    assert main(["predict", "--project", str(modelled.path), str(source), "--out", str(out)]) == 1
    assert main(["predict", "--project", str(modelled.path), "--pool", "--top", "9", "--out", str(out)]) == 1
    assert main(["predict", "--project", str(modelled.path), "--out", str(out)]) == 1
    assert main(["predict", "--project", str(modelled.path), "--pool", "--out", str(tmp_path / "p.xlsx")]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 4 and all(line.startswith("labelloop: error: ") for line in err)
    assert "line 2: no 'text' column" in err[0] and "between 1 and 3" in err[1]
    assert not list(tmp_path.glob("p.*")) and not list(tmp_path.glob(".p.*"))


def test_the_export_page_queues_pool_predictions_for_the_worker(modelled):
    import threading

    from annotator.services.training.schedule import LearningLoop as Worker

    job = request_pool_predictions(modelled, fmt="csv", top_k=None, requested_by="lead")
    assert latest_pool_predictions(modelled)["status"] == "queued"
    worker = Worker(modelled, modelled.models, threading.Event(), poll_seconds=0.01)
    assert worker.start_queued_job()
    worker._thread.join(timeout=120)
    done = latest_pool_predictions(modelled)
    assert done["id"] == job and done["status"] == "done", done
    rows = read_csv(done["file"])
    assert len(rows) == 30 and done["result"]["version"] == modelled.version
    assert job_store.fail_stale_jobs(modelled.db) == 0  # a finished job is not touched by a restart
