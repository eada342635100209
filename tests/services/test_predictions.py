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


MULTI_LABELS = ["pos", "neg", "neutral", "long"]


@pytest.fixture
def multi_modelled(tmp_path, tiny_model_dir):
    """A multi-label project (the tiny pool's label, plus ``long`` on every third text) with 15 of its 45
    pool texts labeled and one published head version."""
    from annotator.services import queue
    from annotator.services.imports import import_file
    from annotator.services.projects import create_project
    from annotator.services.settings import set_settings
    from annotator.services.training.models import load_models
    from annotator.services.training.refresh import refresh
    from tests.helpers.files import write_jsonl
    from tests.helpers.pool import gold_rows

    rows = gold_rows(60)
    answers = {row["text"]: [row["label"]] + (["long"] if i % 3 == 0 else []) for i, row in enumerate(rows)}
    with create_project(tmp_path / "multi", MULTI_LABELS, multi_label=True) as project:
        set_settings(project.db, model=str(tiny_model_dir), max_length=32)
        import_file(project, write_jsonl(tmp_path / "pool.jsonl", [{"text": r["text"]} for r in rows[:45]]))
        for _ in range(15):
            item = queue.next_item(project, "ann")
            queue.save_label_set(project, "ann", item.example_id, answers[item.text])
        project.version = refresh(project, load_models(project)).version
        project.rest = [r["text"] for r in rows[45:]]
        yield project


def test_predict_on_a_multi_label_project_gives_the_sets_the_app_suggests(multi_modelled, tmp_path, capsys):
    from annotator.services.label_sets import suggested_set
    from annotator.store.versions import version_scores

    project = multi_modelled
    out = tmp_path / "pool.jsonl"
    assert main(["predict", "--project", str(project.path), "--pool", "--out", str(out)]) == 0
    assert f"wrote 30 predictions of model v{project.version}" in capsys.readouterr().out
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    suggested = {row["example_id"]: suggested_set(row["predicted"], MULTI_LABELS)
                 for row in version_scores(project.db, project.version)}
    assert len(rows) == 30 and [r["predicted"] for r in rows] == [suggested[r["id"]] for r in rows]
    meta = json.loads(next((project.path / "models").rglob("labelloop.json")).read_text())
    thresholds = dict(zip(meta["classes"], meta["thresholds"]))
    for row in rows:
        chosen = [name for name in MULTI_LABELS if row[f"proba_{name}"] >= thresholds[name]]
        assert chosen == row["predicted"] and 0 <= row["confidence"] <= 1
    # a file, as CSV: the set joined with '|' ("[]" when empty), each label's sigmoid as the pipeline gives it
    source = tmp_path / "new.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["text"], *[[t] for t in project.rest]])
    assert main(["predict", "--project", str(project.path), str(source), "--out", str(tmp_path / "new.csv.out"),
                 "--format", "csv"]) == 0
    written = read_csv(tmp_path / "new.csv.out")
    folder = unzip(zip_model(project, tmp_path / "m.zip"), tmp_path / "m")
    assert "top_k=None" in (folder / "README.md").read_text() and "multi-label" in (folder / "README.md").read_text()
    assert "top_k=None" in json.loads((folder / "labelloop.json").read_text())["load"]
    classify = pipeline_of(folder)
    for row, answer in zip(written, classify(project.rest, top_k=None)):
        sigmoid = {item["label"]: item["score"] for item in answer}
        for name in MULTI_LABELS:
            assert float(row[f"proba_{name}"]) == pytest.approx(sigmoid[name], abs=1e-4)
        chosen = [name for name in MULTI_LABELS if float(row[f"proba_{name}"]) >= thresholds[name]]
        assert row["predicted"] == ("|".join(chosen) or "[]")
