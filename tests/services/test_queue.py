"""Queue serving: leases, expiry, skip, release, undo, overlap, eval interleaving, provenance, and several
annotators in processes of their own."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from annotator.services import queue
from annotator.services.settings import set_settings
from annotator.store.labels import current_labels, label_history
from annotator.store.versions import current_version
from tests.helpers.pool import add_pool, gold_rows

pytestmark = pytest.mark.both_backends  # each test using `project` runs on SQLite and on PostgreSQL

REPO = Path(__file__).resolve().parents[2]  # where `python -m tests.helpers.pool` runs


@pytest.fixture
def ranked_pool_project(pool_project):
    """The pool with the seeded random ranking the worker publishes as soon as it starts."""
    from annotator.services.ranking import publish_random_ranking

    assert publish_random_ranking(pool_project) is not None
    return pool_project


def test_before_any_ranking_items_come_shuffled_and_leased(pool_project):
    item = queue.next_item(pool_project, "ann")
    assert item is not None
    # the queue publishes nothing: rankings are the worker's
    assert current_version(pool_project.db) is None
    assert item.model_version is None and item.strategy == "unranked" and item.rank is None
    # a reload returns the same leased item
    assert queue.next_item(pool_project, "ann").example_id == item.example_id
    # a seeded shuffle, not the file's order
    served = [queue.next_item(pool_project, f"o{i}").example_id for i in range(10)]
    assert served != sorted(served)


def test_two_annotators_never_share_an_item(pool_project):
    seen = set()
    for i in range(20):
        item = queue.next_item(pool_project, f"a{i}")
        assert item.example_id not in seen
        seen.add(item.example_id)


def test_empty_pool_gives_none(project):
    assert queue.next_item(project, "ann") is None


def test_save_label_records_provenance_and_moves_on(pool_project):
    item = queue.next_item(pool_project, "ann")
    label_id = queue.save_label(pool_project, "ann", item.example_id, "pos", seconds=2.5)
    (row,) = current_labels(pool_project.db, item.example_id)
    assert row["id"] == label_id and row["seconds"] == 2.5
    assert (row["model_version"], row["strategy"]) == (item.model_version, item.strategy)
    following = queue.next_item(pool_project, "ann")
    assert following.example_id != item.example_id
    # labeled items are not served to anyone else
    others = {queue.next_item(pool_project, f"o{i}").example_id for i in range(10)}
    assert item.example_id not in others


def test_lease_expires(ranked_pool_project):
    pool_project = ranked_pool_project
    set_settings(pool_project.db, lease_seconds=30)
    item = queue.next_item(pool_project, "a", now=1000.0)
    assert item.lease_expires_at == 1030.0
    assert queue.next_item(pool_project, "b", now=1010.0).example_id != item.example_id
    # after expiry another annotator may take it (it is the best-ranked free item again)
    assert queue.next_item(pool_project, "c", now=1031.0).example_id == item.example_id
    # a save after expiry still lands, with the provenance of the current ranking, marked late
    queue.save_label(pool_project, "a", item.example_id, "neg")
    (row,) = [r for r in current_labels(pool_project.db, item.example_id) if r["annotator"] == "a"]
    assert row["model_version"] == item.model_version and row["strategy"] == "random" and row["late"] == 1


def test_two_people_labeling_one_text_after_an_expired_lease_is_never_silent(ranked_pool_project):
    pool_project = ranked_pool_project
    """The text sat on a's screen past the lease; b was served it and labeled it; then a pressed a key."""
    import time

    from annotator.store.labels import late_labels

    now = time.time()
    first = queue.next_item(pool_project, "a", now=now - 700)  # leased 700 s ago: expired (600 s)
    second = queue.next_item(pool_project, "b", now=now)
    assert second.example_id == first.example_id
    queue.save_label(pool_project, "b", second.example_id, "pos")
    queue.save_label(pool_project, "a", first.example_id, "neg")
    rows = {r["annotator"]: r for r in current_labels(pool_project.db, first.example_id)}
    assert (rows["b"]["late"], rows["a"]["late"]) == (0, 1)
    (late,) = late_labels(pool_project.db)
    assert (late["annotator"], late["label"], late["others"]) == ("a", "neg", {"b": "pos"})
    # a save with a live lease is never late
    third = queue.next_item(pool_project, "c")
    queue.save_label(pool_project, "c", third.example_id, "pos")
    assert current_labels(pool_project.db, third.example_id)[0]["late"] == 0


def test_skip_is_not_served_again_to_that_annotator(ranked_pool_project):
    pool_project = ranked_pool_project
    item = queue.next_item(pool_project, "a")
    queue.skip(pool_project, "a", item.example_id)
    assert queue.next_item(pool_project, "a").example_id != item.example_id
    assert queue.next_item(pool_project, "b").example_id == item.example_id


def test_release_returns_item_to_queue(ranked_pool_project):
    pool_project = ranked_pool_project
    item = queue.next_item(pool_project, "a")
    assert queue.release(pool_project, "a", item.example_id)
    assert queue.next_item(pool_project, "b").example_id == item.example_id


def test_undo_supersedes_and_re_leases(pool_project):
    first = queue.next_item(pool_project, "a")
    queue.save_label(pool_project, "a", first.example_id, "pos")
    queue.next_item(pool_project, "a")
    back = queue.undo(pool_project, "a")
    assert back.example_id == first.example_id
    assert current_labels(pool_project.db, first.example_id) == []
    assert label_history(pool_project.db, first.example_id)[0]["superseded_reason"] == "undo"
    # the UI returns to the undone item: it is the annotator's newest lease
    assert queue.next_item(pool_project, "a").example_id == first.example_id
    assert queue.undo(pool_project, "nobody") is None


def test_overlap_serves_k_distinct_annotators(ranked_pool_project):
    pool_project = ranked_pool_project
    set_settings(pool_project.db, overlap_fraction=1.0, overlap_k=3)
    holders = [queue.next_item(pool_project, name) for name in ("a", "b", "c", "d")]
    assert all(item.overlap for item in holders)
    assert holders[0].example_id == holders[1].example_id == holders[2].example_id
    assert holders[3].example_id != holders[0].example_id
    for item, name in zip(holders[:3], "abc"):
        queue.save_label(pool_project, name, item.example_id, "pos")
    assert len(current_labels(pool_project.db, holders[0].example_id)) == 3
    # an annotator who labeled an overlap item never gets it again
    assert queue.next_item(pool_project, "a").example_id != holders[0].example_id


def test_overlap_fraction_is_deterministic(pool_project):
    set_settings(pool_project.db, overlap_fraction=0.3, overlap_k=2)
    flags = []
    for i in range(30):
        item = queue.next_item(pool_project, f"x{i}")
        flags.append((item.example_id, item.overlap))
        queue.save_label(pool_project, f"x{i}", item.example_id, "neutral")
    share = sum(flag for _, flag in flags) / len(flags)
    assert 0.0 < share < 0.7


def test_eval_items_are_interleaved(pool_project, tmp_path):
    add_pool(pool_project, tmp_path, gold_rows(10, seed=1)[:0] + [{"text": f"eval {i}"} for i in range(3)],
             eval_set=True, name="eval")
    served = []
    for _ in range(12):
        item = queue.next_item(pool_project, "a")
        served.append(item.is_eval)
        queue.save_label(pool_project, "a", item.example_id, "pos")
    assert served[4] and served[9] and served.count(True) == 2
    assert not any(served[:4])


def test_status_and_progress(pool_project):
    item = queue.next_item(pool_project, "a")
    queue.save_label(pool_project, "a", item.example_id, "pos")
    status = queue.queue_status(pool_project)
    assert status["version"] is None and status["labels_since_refresh"] == 1 and status["job"] is None
    progress = queue.annotator_progress(pool_project, "a")
    assert progress == {"today": 1, "total": 1}
    project = queue.project_progress(pool_project)
    assert project["labeled"] == 1 and project["examples"] == 60


def test_skip_unknown_example_is_an_error(pool_project):
    import pytest

    from annotator.errors import InputError

    with pytest.raises(InputError):
        queue.skip(pool_project, "a", 99999)


def test_staged_version_is_invisible_until_published(pool_project):
    from annotator.store.connection import write_transaction
    from annotator.store.versions import discard_unpublished, publish_version

    ids = [row[0] for row in pool_project.db.execute("SELECT id FROM examples ORDER BY id DESC")]
    rows = [(e, r, 1.0 - r / len(ids), "neg", 0.5) for r, e in enumerate(ids)]
    publish_version(pool_project.db, kind="coldstart", strategy="kmeans",
                    scores=[(e, r, 1.0, None, None) for r, e in enumerate(sorted(ids))])
    first = queue.next_item(pool_project, "a")

    def prepare(version):
        # mid-publish: the staged scores are all written, the version is not visible yet
        with write_transaction(pool_project.db):
            assert current_version(pool_project.db)["version"] == first.model_version
        return None

    number = publish_version(pool_project.db, kind="head", strategy="margin", scores=rows, prepare=prepare,
                             stage_chunk=7)
    assert current_version(pool_project.db)["version"] == number
    assert queue.next_item(pool_project, "b").example_id == ids[0]
    assert discard_unpublished(pool_project.db) == []


def test_a_text_over_the_limit_cannot_be_labeled(project, tmp_path):
    """A text too long to show (imported before the limit, or under a higher one) takes no label."""
    import pytest

    from annotator.errors import InputError

    set_settings(project.db, max_text_chars=100_000)
    add_pool(project, tmp_path, [{"text": "x " * 30_000}])
    set_settings(project.db, max_text_chars=1_000)
    item = queue.next_item(project, "ann")
    with pytest.raises(InputError, match="more than max_text_chars"):
        queue.save_label(project, "ann", item.example_id, "pos")
    assert current_labels(project.db, item.example_id) == []
    queue.skip(project, "ann", item.example_id)  # skipping it still works


def test_a_lease_whose_page_went_away_stops_blocking_its_text(pool_project):
    """A closed tab or a crashed app renews nothing: its text goes to others after PRESENCE_SECONDS."""
    import time

    from annotator.store.leases import PRESENCE_SECONDS

    t0 = time.time() - PRESENCE_SECONDS - 5  # "later" below is about now
    held = queue.next_item(pool_project, "a", now=t0)
    kept = queue.next_item(pool_project, "b", now=t0)
    queue.keep_alive(pool_project, "b", kept.example_id, now=t0 + PRESENCE_SECONDS - 10)
    later = t0 + PRESENCE_SECONDS + 1  # both leases are far from expiring (600 s)
    served = {queue.next_item(pool_project, f"c{i}", now=later).example_id for i in range(5)}
    assert held.example_id in served  # a's page went quiet: its text is free again
    assert kept.example_id not in served  # b's page kept renewing
    # a's save after that is late (someone else may have it now); b's is not
    queue.save_label(pool_project, "a", held.example_id, "pos")
    queue.keep_alive(pool_project, "b", kept.example_id)
    queue.save_label(pool_project, "b", kept.example_id, "pos")
    late = {r["annotator"]: r["late"] for e in (held.example_id, kept.example_id)
            for r in current_labels(pool_project.db, e)}
    assert late == {"a": 1, "b": 0}


def test_concurrent_annotators_never_share_an_item(project, tmp_path):
    add_pool(project, tmp_path, gold_rows(120))
    procs = [
        subprocess.Popen([sys.executable, "-m", "tests.helpers.pool", str(project.path), f"p{i}", "25"],
                         stdout=subprocess.PIPE, text=True, cwd=REPO)
        for i in range(4)
    ]
    served = [json.loads(proc.communicate(timeout=120)[0]) for proc in procs]
    assert all(proc.returncode == 0 for proc in procs)
    flat = [example_id for ids in served for example_id in ids]
    assert len(flat) == 100 and len(set(flat)) == 100
    per_example = project.db.execute(
        "SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM labels WHERE superseded = 0 GROUP BY example_id) AS c"
    ).fetchone()[0]
    assert per_example == 1


def test_simultaneous_picks_from_a_ranking_never_share_a_text(ranked_pool_project):
    """Eight annotators ask for their next text at the same moment, round after round, all wanting the
    same best-ranked text: each text goes to one of them (on PostgreSQL the picks do not queue for the
    project's writer lock; a row taken by one pick is skipped or re-checked by the others)."""
    import threading

    from annotator.services.projects import open_project

    n, rounds = 8, 5
    start = threading.Barrier(n)
    served: dict[str, list[int]] = {}
    failures: list[BaseException] = []

    def annotate(name: str) -> None:
        try:
            with open_project(ranked_pool_project.path) as mine:
                got = served.setdefault(name, [])
                for _ in range(rounds):
                    start.wait(timeout=60)
                    item = queue.next_item(mine, name)
                    got.append(item.example_id)
                    queue.save_label(mine, name, item.example_id, "pos")
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            failures.append(error)
            start.abort()

    threads = [threading.Thread(target=annotate, args=(f"t{i}",)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    flat = [example_id for ids in served.values() for example_id in ids]
    assert len(flat) == n * rounds and len(set(flat)) == n * rounds
    per_example = ranked_pool_project.db.execute(
        "SELECT MAX(c) FROM (SELECT COUNT(*) AS c FROM labels WHERE superseded = 0 GROUP BY example_id) AS t"
    ).fetchone()[0]
    assert per_example == 1


def test_open_item_leases_a_named_text_as_chosen_by_a_person(ranked_pool_project):
    version = current_version(ranked_pool_project.db)["version"]
    ids = [row[0] for row in ranked_pool_project.db.execute("SELECT id FROM examples ORDER BY id")]
    item = queue.open_item(ranked_pool_project, "ann", ids[7])
    assert item.example_id == ids[7] and item.given is None
    assert (item.model_version, item.strategy) == (version, queue.OPENED_STRATEGY)  # never the ranking's pick
    assert item.score is not None  # the text's score in the current ranking, for the record
    queue.save_label(ranked_pool_project, "ann", ids[7], "pos")
    (row,) = current_labels(ranked_pool_project.db, ids[7])
    assert (row["model_version"], row["strategy"], row["late"]) == (version, "opened", 0)


def test_open_item_refuses_a_text_that_cannot_be_yours_on_one_line(ranked_pool_project):
    from annotator.errors import InputError
    from annotator.services.flags import flag_text

    ids = [row[0] for row in ranked_pool_project.db.execute("SELECT id FROM examples ORDER BY id")]
    queue.open_item(ranked_pool_project, "ann", ids[0])
    queue.save_label(ranked_pool_project, "ann", ids[0], "pos")
    held = queue.open_item(ranked_pool_project, "bob", ids[1])
    flag_text(ranked_pool_project, "bob", ids[2], "broken")
    before = ranked_pool_project.db.execute("SELECT COUNT(*) FROM leases").fetchone()[0]
    for example_id, message in ((ids[0], "already labeled"), (held.example_id, "someone else"),
                                (ids[2], "flagged"), (10**9, "no text with id"), ("x", "no text with id")):
        with pytest.raises(InputError, match=message):
            queue.open_item(ranked_pool_project, "cat", example_id)
    assert ranked_pool_project.db.execute("SELECT COUNT(*) FROM leases").fetchone()[0] == before


def test_a_text_you_labeled_comes_back_with_your_label_and_its_provenance(ranked_pool_project):
    first = queue.next_item(ranked_pool_project, "ann")
    queue.save_label(ranked_pool_project, "ann", first.example_id, "neg", seconds=3.0)
    (given,) = current_labels(ranked_pool_project.db, first.example_id)
    again = queue.open_item(ranked_pool_project, "ann", first.example_id)
    assert again.given == "neg"
    assert (again.model_version, again.strategy, again.score) == (given["model_version"], given["strategy"],
                                                                   given["score"])
    assert queue.next_item(ranked_pool_project, "ann").given == "neg"  # a reload shows it the same way
    queue.save_label(ranked_pool_project, "ann", first.example_id, "pos")
    history = label_history(ranked_pool_project.db, first.example_id)
    assert [(r["label"], r["superseded_reason"], r["strategy"], r["late"]) for r in history] == [
        ("neg", "relabel", given["strategy"], 0), ("pos", None, given["strategy"], 0)]


def test_undo_says_what_you_gave(pool_project):
    item = queue.next_item(pool_project, "ann")
    queue.save_label(pool_project, "ann", item.example_id, "neutral")
    assert queue.undo(pool_project, "ann").given == "neutral"


def test_the_suggestion_on_screen_is_kept_with_the_label(ranked_pool_project):
    item = queue.next_item(ranked_pool_project, "ann")
    queue.save_label(ranked_pool_project, "ann", item.example_id, "pos", suggestion="pos")
    (row,) = current_labels(ranked_pool_project.db, item.example_id)
    assert row["suggestion"] == "pos"
