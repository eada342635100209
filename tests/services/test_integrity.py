"""Damaged model files and caches: verified, quarantined, fallen back from, rebuilt; never served."""

from __future__ import annotations

import pytest

from annotator.errors import ProjectError
from annotator.services import queue
from annotator.services.model_export import exportable_version, quarantined_versions, zip_model
from annotator.services.settings import set_settings
from annotator.services.training.embeddings import embeddings_path, load_embeddings
from annotator.store import jobs as job_store
from annotator.store.versions import current_version, latest_version
from tests.helpers.pool import add_pool, gold_rows


@pytest.fixture
def tuned(project, tmp_path, tiny_model_dir):
    """A project with one fine-tuned version (v_good) and a newer one (v_bad) on top of it."""
    from annotator.worker.loop import run_worker

    set_settings(project.db, model=str(tiny_model_dir), finetune_min_per_class=2)
    rows = gold_rows(40)
    add_pool(project, tmp_path, rows)
    answers = {r["text"]: r["label"] for r in rows}

    def label(n):
        for _ in range(n):
            item = queue.next_item(project, "ann")
            queue.save_label(project, "ann", item.example_id, answers[item.text])

    label(9)
    run_worker(project.path, once=True)
    good = latest_version(project.db, "finetune")["version"]
    label(6)
    run_worker(project.path, once=True)
    bad = latest_version(project.db, "finetune")["version"]
    assert bad > good
    project.good, project.bad = good, bad
    return project


def _check_fallback(project, tmp_path, why):
    from annotator.worker.loop import run_worker

    with pytest.raises(ProjectError, match=f"version {project.bad} are unusable"):
        zip_model(project, tmp_path / "refused.zip", version=project.bad)
    run_worker(project.path, once=True)  # the next start verifies, quarantines, falls back
    (damaged,) = quarantined_versions(project)
    assert damaged["version"] == project.bad and why in damaged["quarantined"]
    assert latest_version(project.db, "finetune")["version"] >= project.good
    verify = job_store.latest_job(project.db, "verify")
    assert verify["status"] == "failed" and why in verify["error"]
    # what serves and what is exported now stands on a sound encoder
    assert current_version(project.db)["encoder_version"] != project.bad
    assert exportable_version(project)["encoder_version"] != project.bad
    zip_model(project, tmp_path / "ok.zip")
    with pytest.raises(ProjectError, match="quarantined"):
        zip_model(project, tmp_path / "again.zip", version=project.bad)


def test_a_truncated_model_file_is_quarantined_and_never_exported(tuned, tmp_path):
    weights = tuned.models_dir / f"v{tuned.bad}" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    _check_fallback(tuned, tmp_path, "does not match its checksum")
    assert (tuned.models_dir / "quarantine").is_dir()


def test_a_deleted_model_folder_is_quarantined_not_silently_replaced(tuned, tmp_path):
    import shutil

    shutil.rmtree(tuned.models_dir / f"v{tuned.bad}")
    _check_fallback(tuned, tmp_path, "is missing")


def test_a_truncated_embeddings_cache_is_rebuilt(tuned):
    from annotator.services.training.models import load_models
    from annotator.services.training.refresh import refresh

    path = embeddings_path(tuned.path, tuned.bad) / "vectors.npy"
    path.write_bytes(path.read_bytes()[:100])
    assert load_embeddings(tuned.path, tuned.bad) is None  # refused, moved aside
    result = refresh(tuned, load_models(tuned))
    assert result.kind == "head"
    ids, vectors = load_embeddings(tuned.path, tuned.bad)
    assert len(ids) == 40 and vectors.shape[0] == 40


def test_a_damaged_version_without_checksums_is_quarantined_when_it_fails_to_load(tuned, tmp_path):
    """Versions published before checksums were kept: a load failure quarantines them too."""
    from annotator.services.training.models import load_models
    from annotator.store.versions import get_version

    metrics = get_version(tuned.db, tuned.bad)["metrics"]
    metrics.pop("checksums")
    tuned.db.execute("UPDATE model_versions SET metrics = ? WHERE version = ?",
                     (__import__("json").dumps(metrics), tuned.bad))
    tuned.db.conn.commit()
    weights = tuned.models_dir / f"v{tuned.bad}" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:5000])
    models = load_models(tuned)
    assert models.encoder_version == tuned.good
    assert [v["version"] for v in quarantined_versions(tuned)] == [tuned.bad]
    assert "cannot be loaded" in job_store.latest_job(tuned.db, "verify")["error"]
