"""Pool scoring (labelloop score, the worker's --score-engine): the local and Ray engines publish the same
ranking, a fine-tune hands its pass over the pool to Ray, a bad Ray address changes nothing, and
stats' model.scored counts the pool texts the current version scored."""

from __future__ import annotations

import json

import numpy as np
import pytest

from annotator.cli import main
from annotator.services.settings import set_settings
from annotator.services.stats import project_stats
from annotator.store import jobs as job_store
from annotator.store.versions import current_version, list_versions, publish_version, version_scores


def _cache(project, encoder_version: int) -> tuple[np.ndarray, np.ndarray]:
    from annotator.services.training.embeddings import load_embeddings

    ids, vectors = load_embeddings(project.path, encoder_version)
    return np.array(ids), np.array(vectors)


def _ranking(project, version: int) -> list[dict]:
    return version_scores(project.db, version)


@pytest.fixture(scope="module")
def ray_cluster():
    """A local Ray instance of two CPUs for this module's Ray jobs."""
    ray = pytest.importorskip("ray")
    pytest.importorskip("ray.data")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def test_local_and_ray_engines_publish_the_same_ranking(modelled, ray_cluster, capsys):
    from annotator.services.training.pool_engines import open_engine
    from annotator.services.training.rescore import score_project

    local = score_project(modelled.path, open_engine("local"))
    local_ids, local_vectors = _cache(modelled, 0)
    assert main(["score", "--project", str(modelled.path), "--engine", "ray", "--json"]) == 0
    remote = json.loads(capsys.readouterr().out)
    ray_ids, ray_vectors = _cache(modelled, 0)
    assert (local.kind, remote["kind"], local.engine, remote["engine"]) == ("head", "head", "local", "ray")
    assert local.n == remote["texts"] == 54 and remote["version"] == local.version + 1
    assert remote["encoder_version"] == 0 and remote["texts_per_s"] > 0
    assert np.array_equal(local_ids, ray_ids)
    np.testing.assert_allclose(ray_vectors, local_vectors, atol=1e-5)
    a, b = _ranking(modelled, local.version), _ranking(modelled, remote["version"])
    assert [r["example_id"] for r in a] == [r["example_id"] for r in b]
    assert [r["predicted"] for r in a] == [r["predicted"] for r in b]
    np.testing.assert_allclose([r["confidence"] for r in a], [r["confidence"] for r in b], atol=1e-5)
    assert project_stats(modelled, sections=["model"])["model"]["scored"] == 45
    assert job_store.latest_job(modelled.db, "score")["message"] == "published v3 (head, ray engine)"


def test_the_worker_hands_a_fine_tunes_pass_over_the_pool_to_ray(modelled, ray_cluster):
    from annotator.services.training.models import model_dir
    from annotator.services.training.pool_engines import LocalEngine, finetuned_spec
    from annotator.services.training.pool_scoring import embed_pool

    set_settings(modelled.db, epochs=1, finetune_min_steps=0)
    assert main(["worker", "--project", str(modelled.path), "--once", "--score-engine", "ray"]) == 0
    version = current_version(modelled.db)
    assert version["kind"] == "finetune" and version["encoder_version"] == version["version"]
    ids, vectors = _cache(modelled, version["version"])
    here = embed_pool(modelled, finetuned_spec(model_dir(modelled, version["version"]), modelled.models.settings),
                      LocalEngine())
    assert np.array_equal(ids, here.ids)
    np.testing.assert_allclose(vectors, np.asarray(here.vectors), atol=1e-5)
    assert project_stats(modelled, sections=["model"])["model"]["scored"] == 45


@pytest.mark.parametrize("argv", [
    ["score", "--engine", "ray", "--ray-address", "127.0.0.1:1"],
    ["score", "--engine", "ray", "--ray-address", "not an address"],
    ["score", "--ray-address", "127.0.0.1:1"],
    ["worker", "--once", "--score-engine", "ray", "--ray-address", "127.0.0.1:1"],
])
def test_a_bad_ray_address_is_one_line_and_changes_nothing(modelled, capsys, argv):
    before = (list_versions(modelled.db), job_store.latest_job(modelled.db), *_cache(modelled, 0))
    assert main([*argv, "--project", str(modelled.path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("labelloop: error: ")
    after = (list_versions(modelled.db), job_store.latest_job(modelled.db), *_cache(modelled, 0))
    assert after[:2] == before[:2]
    assert np.array_equal(after[2], before[2]) and np.array_equal(after[3], before[3])


def test_model_scored_counts_the_pool_texts_of_the_current_version(modelled):
    assert project_stats(modelled, sections=["model"])["model"]["scored"] == 45  # the fixture's refresh
    pool_ids = [r["example_id"] for r in _ranking(modelled, modelled.version)]
    eval_id = next(e for (e,) in modelled.db.execute("SELECT id FROM examples WHERE is_eval = 1"))
    # a large pool's version published with its best rows first: an evaluation text does not count
    publish_version(modelled.db, kind="head", strategy="margin", encoder_version=0, n_ranked=54,
                    scores=[(pool_ids[0], 0, 1.0, "pos", 0.5), (pool_ids[1], 1, 0.9, "neg", 0.6),
                            (eval_id, 2, 0.8, "pos", 0.7)])
    assert project_stats(modelled, sections=["model"])["model"]["scored"] == 2


def test_one_gpu_actor_per_gpu_else_cpu_actors_of_up_to_four_cores():
    from annotator.services.training.ray_engine import actor_plan

    assert actor_plan({"CPU": 32.0, "GPU": 4.0}) == {"concurrency": 4, "num_gpus": 1, "num_cpus": 1, "threads": None,
                                                     "batch_size": 1024}
    assert actor_plan({"CPU": 2.0}) == {"concurrency": 1, "num_gpus": 0, "num_cpus": 2, "threads": 2,
                                        "batch_size": 512}
    assert actor_plan({"CPU": 16.0})["concurrency"] == 4 and actor_plan({"CPU": 16.0})["threads"] == 4
