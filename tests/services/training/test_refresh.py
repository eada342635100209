"""annotator.services.training.refresh: each refresh re-ranks the pool, and follows a grown label set."""

from __future__ import annotations

from annotator.services import queue
from annotator.services.settings import set_settings
from annotator.store.versions import current_version, version_scores
from tests.helpers.pool import add_pool, gold_rows, label_some


def _open_order(project, version: int) -> list[int]:
    labeled = {row[0] for row in project.db.execute("SELECT example_id FROM labels WHERE superseded = 0")}
    return [row["example_id"] for row in version_scores(project.db, version) if row["example_id"] not in labeled]


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


def test_refresh_follows_a_grown_label_set(project, tmp_path, tiny_model_dir):
    from annotator.services.labelset import add_labels
    from annotator.services.training.models import load_models
    from annotator.services.training.refresh import refresh

    set_settings(project.db, model=str(tiny_model_dir))
    rows = gold_rows(30)
    add_pool(project, tmp_path, rows)
    label_some(project, rows, 6)
    models = load_models(project)
    assert refresh(project, models).kind == "head"
    add_labels(project.db, ["mixed"])
    item = queue.next_item(project, "ann")
    queue.save_label(project, "ann", item.example_id, "mixed")
    result = refresh(project, models)
    assert result.kind == "head" and list(result.head.classes_) == ["pos", "neg", "neutral", "mixed"]


def test_the_worker_ranks_the_pool_at_once_before_any_model(project, tmp_path):
    """A seeded random ranking needs no embeddings: the queue walks an index from the first text on."""
    from annotator.services import queue
    from annotator.services.ranking import publish_random_ranking

    add_pool(project, tmp_path, gold_rows(30))
    first = publish_random_ranking(project)
    version = current_version(project.db)
    assert version["version"] == first and (version["kind"], version["strategy"]) == ("coldstart", "random")
    assert version["n_scored"] == 30
    assert publish_random_ranking(project) is None  # only before any version
    item = queue.next_item(project, "ann")
    assert item.model_version == first and item.rank == 0


def test_a_refresh_keeps_the_pools_row_stats_until_the_pool_grows(project, tmp_path, tiny_model_dir):
    import numpy as np

    from annotator.services.training.embeddings import load_embeddings
    from annotator.services.training.models import load_models
    from annotator.services.training.refresh import refresh
    from learner.linear_head import row_stats

    set_settings(project.db, model=str(tiny_model_dir))
    rows = gold_rows(60)
    add_pool(project, tmp_path, rows[:40])
    models = load_models(project)
    refresh(project, models)
    label_some(project, rows, 8)
    assert refresh(project, models).kind == "head"
    kept = models.pool_row_stats(load_embeddings(project.path, models.encoder_version)[1])
    assert kept.mean.shape == (40,)
    assert refresh(project, models) is not None
    assert models.pool_row_stats(load_embeddings(project.path, models.encoder_version)[1]) is kept
    add_pool(project, tmp_path, rows[40:], name="more")  # new texts: the stats follow the pool
    assert refresh(project, models) is not None
    ids, X = load_embeddings(project.path, models.encoder_version)
    grown = models.pool_row_stats(X)
    assert grown is not kept and len(ids) == 60
    assert np.allclose(grown.norm, row_stats(X).norm) and np.allclose(grown.mean, row_stats(X).mean)
