"""labelloop search: words, regex, meaning (the pool embedded on demand by the tiny model), filters, JSON."""

from __future__ import annotations

import json
import re

from annotator.services.settings import set_settings
from annotator.services.training.embeddings import load_embeddings
from annotator.store.labels import add_label
from tests.helpers.cli import run
from tests.helpers.files import snapshot
from tests.helpers.team import add_texts

TEXTS = [
    "How many people live in Sydney ?", "What is the capital of France ?", "How many legs does a spider have ?",
    "Who wrote Hamlet ?", "What is the capital of Japan ?", "how many moons has Mars ?",
]


def _search(project, capsys, *args):
    code, out, err = run(["search", "--project", str(project.path), *args], capsys)
    return code, out, err


def test_regex_words_and_filters_as_json(project, tmp_path, capsys):
    ids = add_texts(project, TEXTS, tmp_path)
    code, out, _ = _search(project, capsys, "--regex", "^How many", "--json")
    rows = json.loads(out)
    assert code == 0 and [r["id"] for r in rows] == [ids[k] for k, t in enumerate(TEXTS) if re.search("^How many", t)]
    assert set(rows[0]) == {"id", "text", "label", "predicted", "confidence", "score"}
    add_label(project.db, ids[1], "pos", "ann")
    code, out, _ = _search(project, capsys, "--text", "CAPITAL of", "--unlabeled", "--json")
    assert code == 0 and [r["id"] for r in json.loads(out)] == [ids[4]]
    code, out, _ = _search(project, capsys, "--text", "capital", "--label", "pos", "--json")
    assert [(r["id"], r["label"]) for r in json.loads(out)] == [(ids[1], "pos")]
    code, out, _ = _search(project, capsys, "--regex", "(?i)how many", "--limit", "2")
    assert code == 0 and out.startswith("3 matches; showing 2 from 1")
    # JSON: stdout is the list alone; a list cut short by --limit says so on stderr
    code, out, err = _search(project, capsys, "--regex", "(?i)how many", "--limit", "2", "--json")
    assert code == 0 and len(json.loads(out)) == 2
    assert err == "3 matches; printed 2 from 1 (--limit and --offset for more)\n"
    code, out, err = _search(project, capsys, "--regex", "(?i)how many", "--limit", "2", "--offset", "2", "--json")
    assert code == 0 and len(json.loads(out)) == 1 and err == ""


def test_errors_are_one_line_and_change_nothing(project, tmp_path, capsys):
    add_texts(project, TEXTS, tmp_path)
    before = snapshot(project)
    for args in (["--regex", "(unclosed"], ["--text", "x", "--label", "nope"], ["--similar-to", "999"],
                 ["--text", "x", "--limit", "0"], ["--text", " "]):
        code, out, err = _search(project, capsys, *args)
        assert code == 1 and out == "" and err.count("\n") == 1 and err.startswith("labelloop: error: "), args
    assert snapshot(project) == before


def test_similar_embeds_the_pool_once_then_finds_neighbours(project, tmp_path, capsys, tiny_model_dir):
    ids = add_texts(project, TEXTS, tmp_path)
    set_settings(project.db, model=str(tiny_model_dir))
    code, out, err = _search(project, capsys, "--similar", "What is the capital of Japan ?", "--limit", "3", "--json")
    assert code == 0, err
    assert "embedding" in err  # the progress bar of the on-demand embedding
    rows = json.loads(out)
    assert rows[0]["id"] == ids[4] and rows[0]["score"] > 0.99 and len(rows) == 3
    cached = load_embeddings(project.path, 0)
    assert cached is not None and sorted(cached[0].tolist()) == sorted(ids)
    code, out, err = _search(project, capsys, "--similar-to", str(ids[4]), "--limit", "1", "--json")
    assert code == 0 and "embedding" not in err and json.loads(out)[0]["id"] != ids[4]


def test_texts_imported_after_the_pool_was_embedded_are_embedded_before_a_meaning_search(
        project, tmp_path, capsys, tiny_model_dir):
    ids = add_texts(project, TEXTS, tmp_path)
    set_settings(project.db, model=str(tiny_model_dir))
    code, _, err = _search(project, capsys, "--similar-to", str(ids[0]), "--limit", "1", "--json")
    assert code == 0 and "embedding" in err
    (late,) = add_texts(project, ["How many strings does a violin have ?"], tmp_path)
    code, out, err = _search(project, capsys, "--similar-to", str(late), "--limit", "2", "--json")
    assert code == 0, err
    assert "embedding 1 examples" in err  # only the text the cache lacked
    assert late not in [row["id"] for row in json.loads(out)]
    cached = load_embeddings(project.path, 0)
    assert sorted(cached[0].tolist()) == sorted([*ids, late])


def test_a_multi_label_project_is_searched_by_the_labels_of_its_sets(tmp_path, capsys):
    from annotator.services.projects import create_project
    from annotator.store.label_sets import add_label_set

    with create_project(tmp_path / "multi", ["city", "country", "count"], multi_label=True) as project:
        ids = add_texts(project, TEXTS, tmp_path)
        add_label_set(project.db, ids[0], ["city", "count"], "ann")
        add_label_set(project.db, ids[1], ["country", "city"], "ann")
        add_label_set(project.db, ids[1], ["country"], "other")
        code, out, _ = _search(project, capsys, "--label", "city", "--json")
        assert code == 0 and [(r["id"], r["label"]) for r in json.loads(out)] == [(ids[0], ["city", "count"]),
                                                                                  (ids[1], ["country"])]
        code, out, _ = _search(project, capsys, "--text", "capital", "--disagreement")
        assert code == 0 and out.startswith("1 match;") and "country" in out
        code, out, _ = _search(project, capsys, "--label", "count")
        assert code == 0 and "city + count" in out
