"""The loop end to end with the tiny BERT: simulate, worker, train, failures, embeddings cache."""

from __future__ import annotations

import json

import numpy as np
from loop_helpers import add_pool, gold_rows, write_jsonl

from annotator.cli import main
from annotator.services import queue
from annotator.services.settings import set_settings
from annotator.services.training.embeddings import ensure_embeddings, load_embeddings
from annotator.store import jobs as job_store
from annotator.store.versions import current_version, list_versions, version_scores


def _open_order(project, version: int) -> list[int]:
    labeled = {row[0] for row in project.db.execute("SELECT example_id FROM labels WHERE superseded = 0")}
    return [row["example_id"] for row in version_scores(project.db, version) if row["example_id"] not in labeled]


def test_simulate_three_batches_re_ranks_and_keeps_provenance(project, tmp_path, tiny_model_dir):
    from annotator.services.simulate import simulate

    rows = gold_rows(60)
    gold = write_jsonl(tmp_path / "gold.jsonl", rows)
    test = write_jsonl(tmp_path / "test.jsonl", gold_rows(15, seed=1))
    set_settings(project.db, model=str(tiny_model_dir), finetune_min_per_class=2)
    add_pool(project, tmp_path, rows)
    result = simulate(project.path, gold, test, budget=30, batch=10, strategy="margin", seed=0, finetune_every=20)
    assert [point["labels"] for point in result["curve"]] == [10, 20, 30]
    assert result["curve"][1]["finetune_s"] is not None
    assert 0.0 <= result["auc"] <= 1.0
    versions = list_versions(project.db)
    kinds = [v["kind"] for v in versions]
    assert kinds[0] == "coldstart" and "head" in kinds and "finetune" in kinds
    # each batch published a new ranking, and the open items' order changed each time
    per_batch = [point["model_version"] for point in result["curve"]]
    assert len(set(per_batch)) == 3
    finetuned = [v for v in versions if v["kind"] == "finetune"][0]
    assert (project.path / finetuned["path"]).is_dir()
    assert (project.path / finetuned["path"] / "config.json").is_file()
    # every label intact, with the provenance of the ranking that served it
    labels = project.db.execute(
        "SELECT example_id, label, model_version, strategy, score FROM labels WHERE superseded = 0"
    ).fetchall()
    answers = {r["text"]: r["label"] for r in rows}
    texts = dict(project.db.execute("SELECT id, text FROM examples").fetchall())
    assert len(labels) == 30
    for example_id, label, version, strategy, score in labels:
        assert label == answers[texts[example_id]]
        assert version is not None and strategy in ("kmeans", "margin") and score is not None
    assert {row[3] for row in labels} == {"kmeans", "margin"}


def test_rankings_differ_between_refreshes(project, tmp_path, tiny_model_dir):
    from annotator.services.training.models import load_models
    from annotator.services.training.refresh import refresh

    set_settings(project.db, model=str(tiny_model_dir))
    rows = gold_rows(60)
    add_pool(project, tmp_path, rows)
    answers = {r["text"]: r["label"] for r in rows}
    models = load_models(project)
    orders = [_open_order(project, refresh(project, models).version)]
    for _ in range(2):
        for _ in range(10):
            item = queue.next_item(project, "ann")
            queue.save_label(project, "ann", item.example_id, answers[item.text])
        result = refresh(project, models)
        assert result.kind == "head"
        orders.append(_open_order(project, result.version))
        assert queue.next_item(project, "ann").model_version == result.version
    common = [set(orders[0]) & set(orders[1]), set(orders[1]) & set(orders[2])]
    assert [o for o in orders[0] if o in common[0]] != [o for o in orders[1] if o in common[0]]
    assert [o for o in orders[1] if o in common[1]] != [o for o in orders[2] if o in common[1]]


def _label_some(project, rows, n, annotator="ann"):
    answers = {r["text"]: r["label"] for r in rows}
    for _ in range(n):
        item = queue.next_item(project, annotator)
        queue.save_label(project, annotator, item.example_id, answers[item.text])


def test_worker_once_fine_tunes_and_records_jobs(project, tmp_path, tiny_model_dir):
    from annotator.worker.loop import run_worker

    set_settings(project.db, model=str(tiny_model_dir), finetune_min_per_class=2)
    rows = gold_rows(40)
    add_pool(project, tmp_path, rows)
    held_out = [{"text": f"held out {w} example", "label": label}
                for w, label in (("good", "pos"), ("bad", "neg"), ("table", "neutral"))]
    add_pool(project, tmp_path, held_out, eval_set=True, name="eval")
    _label_some(project, rows + held_out, 12)
    run_worker(project.path, once=True)
    version = current_version(project.db)
    assert version["kind"] == "finetune" and version["encoder_version"] == version["version"]
    kinds = {(job["kind"], job["status"]) for job in
             map(lambda r: job_store.get_job(project.db, r[0]), project.db.execute("SELECT id FROM jobs"))}
    assert kinds == {("embed", "done"), ("finetune", "done")}
    assert load_embeddings(project.path, version["version"])[1].shape[0] == 43
    assert version["metrics"]["n_eval"] == 2 and 0.0 <= version["metrics"]["accuracy"] <= 1.0
    assert np.asarray(version["metrics"]["confusion"]).sum() == 2
    status = queue.queue_status(project)
    assert status["finetune_version"] == version["version"] and status["labels_since_finetune"] == 0


def test_failed_job_records_error_and_keeps_last_version(project, tmp_path, tiny_model_dir):
    from annotator.worker.loop import run_worker

    set_settings(project.db, model=str(tiny_model_dir), finetune_min_per_class=2)
    rows = gold_rows(30)
    add_pool(project, tmp_path, rows)
    _label_some(project, rows, 10)
    run_worker(project.path, once=True)
    good = current_version(project.db)["version"]
    set_settings(project.db, model=str(tmp_path / "no-such-model"), warm_start=False)
    _label_some(project, rows, 3)
    run_worker(project.path, once=True)
    failed = job_store.latest_job(project.db, "finetune")
    assert failed["status"] == "failed" and "no-such-model" in failed["error"]
    assert queue.queue_status(project)["last_error"] == failed["error"]
    # the worker kept serving the last good encoder: its head refresh published on top of it
    assert current_version(project.db)["encoder_version"] == good
    assert queue.next_item(project, "other") is not None


def test_embeddings_are_incremental(tmp_path):
    calls = []

    def embed(texts):
        calls.append(len(texts))
        return np.ones((len(texts), 4), dtype=np.float32) * len(calls)

    first = ensure_embeddings(tmp_path, 0, [1, 2, 3], ["a", "b", "c"], embed)
    again = ensure_embeddings(tmp_path, 0, [3, 1, 2, 7], ["c", "a", "b", "z"], embed)
    assert calls == [3, 1]
    assert np.array_equal(again[:3], first[[2, 0, 1]]) and again[3, 0] == 2.0
    ids, vectors = load_embeddings(tmp_path, 0)
    assert list(ids) == [3, 1, 2, 7] and vectors.shape == (4, 4)
    assert load_embeddings(tmp_path, 5) is None


def test_cli_train_and_simulate(project, tmp_path, tiny_model_dir, capsys):
    set_settings(project.db, model=str(tiny_model_dir), finetune_min_per_class=2)
    rows = gold_rows(30)
    add_pool(project, tmp_path, rows)
    _label_some(project, rows, 9)
    assert main(["train", "--project", str(project.path)]) == 0
    out = capsys.readouterr()
    assert "published v" in out.out and "finetune" in out.out and "%" in out.err
    gold = write_jsonl(tmp_path / "gold.jsonl", rows)
    test = write_jsonl(tmp_path / "test.jsonl", gold_rows(9, seed=2))
    out_json = tmp_path / "curve.json"
    assert main(["simulate", "--project", str(project.path), "--gold", str(gold), "--test", str(test),
                 "--budget", "10", "--batch", "5", "--strategy", "random", "--seed", "1",
                 "--finetune-every", "0", "--json", str(out_json)]) == 0
    result = json.loads(out_json.read_text())
    assert set(result) == {"strategy", "seed", "curve", "auc", "total_s"}
    assert result["strategy"] == "random" and result["seed"] == 1 and len(result["curve"]) == 2
    assert set(result["curve"][0]) == {"labels", "accuracy", "macro_f1", "model_version", "refresh_s", "finetune_s"}


def test_train_below_the_minimum_is_a_one_line_refusal(project, tmp_path, tiny_model_dir, capsys):
    set_settings(project.db, model=str(tiny_model_dir), finetune_min_per_class=3)
    rows = gold_rows(12)
    add_pool(project, tmp_path, rows)
    _label_some(project, rows, 5)  # labels of three classes, none of them three times
    assert main(["train", "--project", str(project.path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "at least two labels with 3 training labels each" in err
    assert job_store.latest_job(project.db) is None
    assert [v for v in list_versions(project.db) if v["kind"] == "finetune"] == []
    _label_some(project, rows, 4)  # now pos and neg have three each
    assert main(["train", "--project", str(project.path)]) == 0


def test_refresh_follows_a_grown_label_set(project, tmp_path, tiny_model_dir):
    from annotator.services.labelset import add_labels
    from annotator.services.training.models import load_models
    from annotator.services.training.refresh import refresh

    set_settings(project.db, model=str(tiny_model_dir))
    rows = gold_rows(30)
    add_pool(project, tmp_path, rows)
    _label_some(project, rows, 6)
    models = load_models(project)
    assert refresh(project, models).kind == "head"
    add_labels(project.db, ["mixed"])
    item = queue.next_item(project, "ann")
    queue.save_label(project, "ann", item.example_id, "mixed")
    result = refresh(project, models)
    assert result.kind == "head" and list(result.head.classes_) == ["pos", "neg", "neutral", "mixed"]


def test_a_stop_during_the_first_embedding_ends_the_worker_at_the_next_chunk(project, tmp_path, tiny_model_dir):
    """SIGTERM sets the stop event; the embed job then ends at its next progress report."""
    import threading

    from annotator.worker.loop import run_worker

    set_settings(project.db, model=str(tiny_model_dir))
    add_pool(project, tmp_path, gold_rows(40))
    stop = threading.Event()
    stop.set()
    run_worker(project.path, stop_event=stop)  # returns instead of looping
    job = job_store.latest_job(project.db, "embed")
    assert job["status"] == "cancelled" and job["message"] == "stopped"
    assert list_versions(project.db) == []
    run_worker(project.path, once=True)  # the next start embeds and ranks as usual
    assert current_version(project.db) is not None
