"""The worker's share of Explore with the tiny BERT: a typed query the page queued is embedded by the loop's
encoder, the embedding map is computed once per encoder and a region of it lists its texts."""

from __future__ import annotations

import threading

import numpy as np

from annotator.services import projection
from annotator.services import search as searching
from annotator.services.settings import set_settings
from annotator.services.training import schedule
from annotator.store import jobs as job_store
from tests.helpers.pool import add_pool, gold_rows

QUERY = gold_rows(30)[3]["text"]


def test_the_loop_answers_queries_and_draws_the_map(project, tmp_path, tiny_model_dir):
    set_settings(project.db, model=str(tiny_model_dir))
    add_pool(project, tmp_path, gold_rows(30))
    stop = threading.Event()
    loop = schedule.start(project, stop, poll_seconds=0.01)  # embeds the pool, publishes a ranking
    job = searching.request_query_embedding(project, QUERY, "ann")
    assert searching.query_embedding_result(project, job)[0] == "queued"
    loop.step()
    status, vector = searching.query_embedding_result(project, job)
    assert status == "done" and vector[0] == loop.models.encoder_version
    expected = loop.models.encoder.embed([QUERY])[0]
    assert np.allclose(vector[1], expected, atol=1e-5)
    page = searching.search(project, searching.Search("similar", QUERY),
                            query_vector=vector, limit=1)
    assert page.results[0].score > 0.99  # the text itself (the tiny model may tie it with its twins)
    # the map: computed on the loop's idle step, in a thread of its own, recorded as a job
    for _ in range(50):
        loop.step()
        loop.explore.join()
        if projection.map_status(project)["map"] is not None:
            break
    status = projection.map_status(project)
    assert status["map"] == {"n": 30, "method": "pca", "version": 0}
    assert job_store.latest_job(project.db, "map")["status"] == "done"
    assert projection.map_due(project) is None  # reused until the encoder changes or the pool grows
    points = projection.map_points(project, "prediction", max_points=10)
    assert len(points) == 10 and {"id", "x", "y", "value"} <= set(points[0])
    everything = projection.region_ids(project, (-1.0, 1.0, -1.0, 1.0))
    assert len(everything) == 30
    event = {"selection": {"region": {"x": [0.0, 1.0], "y": [-1.0, 1.0]}}}
    assert set(projection.region_ids(project, projection.selected_bounds(event))) < set(everything)
    assert projection.selected_bounds({"selection": {}}) is None
    stop.set()
    loop.run()


def test_pca_keeps_the_two_main_directions():
    rng = np.random.default_rng(0)
    points = np.zeros((500, 16), dtype=np.float32)
    points[:, 0] = rng.normal(size=500) * 10
    points[:, 1] = rng.normal(size=500) * 3
    points[:, 2:] = rng.normal(size=(500, 14)) * 0.01
    xy = projection.pca_2d(points, sample=200)
    assert xy.shape == (500, 2) and np.abs(xy).max() <= 1.0 + 1e-6
    assert abs(np.corrcoef(xy[:, 0], points[:, 0])[0, 1]) > 0.99
    assert abs(np.corrcoef(xy[:, 1], points[:, 1])[0, 1]) > 0.99
