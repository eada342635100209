"""The search library: words, regular expressions, meaning (over cached vectors), filters, order, paging,
links; bad input is one line and changes nothing."""

from __future__ import annotations

import re

import numpy as np
import pytest

from annotator.errors import InputError
from annotator.services import search as s
from annotator.services.training.embeddings import save_embeddings
from annotator.store.labels import add_label
from annotator.store.versions import publish_version
from tests.helpers.files import snapshot
from tests.helpers.team import add_texts

TEXTS = [
    "My refund never arrived",            # 0
    "Where is my REFUND? It never came",  # 1
    "How many cards can I order?",        # 2
    "How many days does a transfer take", # 3
    "The app crashes when I log in",      # 4
    "Ärger mit der Überweisung",          # 5 (non-ASCII words)
    "refund_100% please",                 # 6 (LIKE wildcards in the text)
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!",  # 7 (a regex that backtracks without end)
]


@pytest.fixture
def pool(project, tmp_path):
    project.ids = add_texts(project, TEXTS, tmp_path)
    return project


def _ids(page):
    return [r.example_id for r in page.results]


def test_words_are_all_required_and_case_free(pool):
    ids = pool.ids
    assert _ids(s.search(pool, s.Search("words", "refund NEVER"))) == [ids[0], ids[1]]
    assert _ids(s.search(pool, s.Search("words", "überweisung ärger"))) == [ids[5]]
    # LIKE's own wildcards in a word are taken literally
    assert _ids(s.search(pool, s.Search("words", "100%"))) == [ids[6]]
    assert _ids(s.search(pool, s.Search("words", "_100"))) == [ids[6]]
    # relevance: how often the words occur
    page = s.search(pool, s.Search("words", "refund"))
    assert page.total == 3 and all(r.score == 1.0 for r in page.results)


def test_regex_returns_exactly_the_texts_that_match(pool):
    for pattern in (r"^How many", r"(?i)refund", r"\d+%", r"[ÄÖÜ]"):
        expected = [pool.ids[k] for k, text in enumerate(TEXTS) if re.search(pattern, text)]
        assert _ids(s.search(pool, s.Search("regex", pattern), limit=100)) == expected, pattern


def test_bad_and_runaway_patterns_are_one_line_errors_that_change_nothing(pool):
    before = snapshot(pool)
    with pytest.raises(InputError, match="not a valid regular expression") as bad:
        s.search(pool, s.Search("regex", "(unclosed"))
    assert "\n" not in str(bad.value)
    with pytest.raises(InputError, match="backtracks") as runaway:
        s.search(pool, s.Search("regex", r"(a|aa)+$"), regex_seconds=0.05)
    assert "\n" not in str(runaway.value)
    # the budget is CPU time; the wall clock (a busy machine) has its own limit and its own message
    with pytest.raises(InputError, match="the server is busy") as busy:
        s.search(pool, s.Search("regex", r"^How many"), regex_wall_seconds=0.0)
    assert "\n" not in str(busy.value) and "backtracks" not in str(busy.value)
    for bad_search in (s.Search("words", "  "), s.Search("nonsense", "x"), s.Search("words", "x", sort="size"),
                       s.Search("similar_to", example_id=10**6),
                       s.Search("all", filters=s.Filters(label="nope")),
                       s.Search("all", filters=s.Filters(min_confidence=0.9, max_confidence=0.1))):
        with pytest.raises(InputError):
            s.search(pool, bad_search)
    assert snapshot(pool) == before


def test_filters_combine_with_a_search(pool):
    ids = pool.ids
    add_label(pool.db, ids[0], "pos", "ann1")
    add_label(pool.db, ids[1], "pos", "ann1")
    add_label(pool.db, ids[1], "neg", "ann2")  # disagreement
    publish_version(pool.db, kind="head", strategy="margin", scores=[
        (ids[k], k, 0.1, "neg" if k % 2 else "pos", 0.5 + k / 20) for k in range(len(ids))])
    words = s.Search("words", "refund")
    assert _ids(s.search(pool, s.with_filters(words, labeled=False))) == [ids[6]]
    assert _ids(s.search(pool, s.with_filters(words, labeled=True))) == [ids[0], ids[1]]
    assert _ids(s.search(pool, s.with_filters(words, disagreement=True))) == [ids[1]]
    assert _ids(s.search(pool, s.with_filters(words, annotator="ann2"))) == [ids[1]]
    assert _ids(s.search(pool, s.with_filters(words, label="pos"))) == [ids[0], ids[1]]
    assert _ids(s.search(pool, s.with_filters(words, predicted="neg"))) == [ids[1]]
    assert _ids(s.search(pool, s.with_filters(words, min_confidence=0.52, max_confidence=0.8))) == [ids[1], ids[6]]
    assert _ids(s.search(pool, s.Search("all", filters=s.Filters(source="missing.csv")))) == []
    # order by the model's confidence; uncertainty is the reverse
    everything = s.search(pool, s.Search("all", sort="confidence"), limit=100)
    assert _ids(everything) == list(reversed(ids))
    assert _ids(s.search(pool, s.Search("all", sort="uncertainty"), limit=100)) == ids
    # paging
    assert _ids(s.search(pool, s.Search("all"), offset=2, limit=3)) == ids[2:5]
    # what a result shows
    row = s.search(pool, s.with_filters(words, disagreement=True)).results[0]
    assert row.labels == {"ann1": "pos", "ann2": "neg"} and row.disagreement and row.predicted == "neg"
    assert row.label == "pos"  # a tie, resolved by label-set order as exports do


def test_more_like_this_and_a_typed_query_use_the_cached_vectors(pool):
    ids = pool.ids
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(len(ids), 8)).astype(np.float32)
    vectors[1] = vectors[0] + 0.05 * rng.normal(size=8)  # text 1 is text 0's near neighbour
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    with pytest.raises(s.NoEmbeddingsError):
        s.search(pool, s.Search("similar_to", example_id=ids[0]))
    save_embeddings(pool.path, 0, ids, vectors)
    page = s.search(pool, s.Search("similar_to", example_id=ids[0]), limit=3)
    assert _ids(page)[0] == ids[1] and ids[0] not in _ids(page)
    assert page.results[0].score == pytest.approx(float(vectors[0] @ vectors[1]), abs=1e-5)
    typed = s.search(pool, s.Search("similar", "anything"), query_vector=(0, vectors[4] * 3), limit=1)
    assert _ids(typed) == [ids[4]] and typed.results[0].score == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(InputError, match="needs the query's embedding"):
        s.search(pool, s.Search("similar", "anything"))
    # filters apply to semantic matches too
    add_label(pool.db, ids[1], "pos", "ann1")
    unlabeled = s.search(pool, s.with_filters(s.Search("similar_to", example_id=ids[0]), labeled=False), limit=100)
    assert ids[1] not in _ids(unlabeled) and unlabeled.total == len(ids) - 2


def test_a_search_survives_a_url(pool):
    query = s.Search("words", "refund never", filters=s.Filters(labeled=False, min_confidence=0.25, label="pos"),
                     sort="uncertainty")
    params = s.to_params(query)
    assert params == {"mode": "words", "q": "refund never", "sort": "uncertainty", "labeled": "0",
                      "min_confidence": "0.25", "label": "pos"}
    assert s.from_params(params) == query
    assert s.from_params({}) is None
    assert s.from_params(s.to_params(s.Search("similar_to", example_id=7))).example_id == 7
    with pytest.raises(InputError):
        s.from_params({"mode": "words", "q": "x", "labeled": "maybe"})
    assert query.describe() == {"mode": "words", "query": "refund never",
                                "filters": {"labeled": False, "min_confidence": 0.25, "label": "pos"}}


def test_query_embedding_jobs_are_queued_for_the_worker(pool):
    job = s.request_query_embedding(pool, "refund never arrived", "ann1")
    assert s.query_embedding_result(pool, job) == ("queued", None)
    with pytest.raises(InputError):
        s.request_query_embedding(pool, " ", "ann1")
