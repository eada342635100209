"""annotator.services.simulate: a simulated annotator over gold labels, with the tiny BERT."""

from __future__ import annotations

from annotator.services.settings import set_settings
from annotator.store.versions import list_versions
from tests.helpers.files import write_jsonl
from tests.helpers.pool import add_pool, gold_rows


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
