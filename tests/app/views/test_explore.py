"""The Explore page through AppTest: search, open a text by its link, label it with the search as provenance,
a lead's bulk label with its confirmation, and no bulk label for an annotator."""

from __future__ import annotations

import json

import numpy as np
import pytest

from annotator.services.training.embeddings import save_embeddings
from annotator.store.labels import add_label
from tests.helpers.app import APP_MAIN, PAGES_DIR, TEXTS, button

EXPLORE = str(PAGES_DIR / "explore.py")


def _ids(db) -> dict[str, int]:
    return {text: example_id for example_id, text in db.execute("SELECT id, text FROM examples")}


def _explore(sign_in_app, name: str):
    at = sign_in_app(name)
    return at.switch_page(EXPLORE).run()


def _search(at, mode: str, query: str):
    at.selectbox(key="ll_explore_f_mode").select(mode)
    at.text_input(key="ll_explore_f_query").input(query)
    return button(at, "Search").click().run()


@pytest.mark.both_backends  # the page on PostgreSQL too
def test_search_open_label_with_provenance(ui_project, db, sign_in_app):
    ids = _ids(db)
    at = _explore(sign_in_app, "ann")
    assert not at.exception and "Explore" in [t.value for t in at.title]
    at = _search(at, "Words", "PARCEL never")
    assert any("1 match" in c.value for c in at.caption)
    assert at.query_params["mode"] == "words" and at.query_params["q"] == "PARCEL never"
    # open the result by its deep link
    target = ids["My parcel never arrived"]
    at.query_params["item"] = str(target)
    at.run()
    assert any(t.value == "My parcel never arrived" for t in at.text)
    button(at, "shipping").click().run()
    assert not at.exception
    row = db.execute("SELECT label, annotator, strategy, search_query, late FROM labels WHERE example_id = ?",
                     (target,)).fetchone()
    assert row[:3] == ("shipping", "ann", "search") and row[4] == 0
    assert json.loads(row[3]) == {"mode": "words", "query": "PARCEL never"}
    assert "item" not in at.query_params


@pytest.mark.both_backends  # the page on PostgreSQL too
def test_an_annotator_has_no_bulk_label_and_a_lead_confirms_one(ui_project, db, sign_in_app):
    ids = _ids(db)
    add_label(db, ids["App crashes on start"], "billing", "ann")  # a different label from someone else
    annotator = _search(_explore(sign_in_app, "ann"), "Filters only", "")
    assert not [e for e in annotator.expander if "bulk" in e.label]
    lead = _search(_explore(sign_in_app, "lead"), "Filters only", "")
    assert [e for e in lead.expander if "bulk" in e.label]
    lead.selectbox(key="ll_bulk_label").select("technical")
    lead.radio(key="ll_bulk_scope").set_value(lead.radio(key="ll_bulk_scope").options[1])
    button(lead, "Review and label…").click().run()
    assert any(f"{len(TEXTS)} texts change" in m.value for m in lead.markdown)
    assert any("Review page" in w.value for w in lead.warning)
    button(lead, f"Label {len(TEXTS)} texts").click().run()
    rows = db.execute("SELECT COUNT(*), MIN(strategy), MAX(strategy) FROM labels WHERE annotator = 'lead'").fetchone()
    assert rows == (len(TEXTS), "search", "search")
    # the annotator's label stands beside the lead's
    theirs = db.execute("SELECT label FROM labels WHERE annotator = 'ann' AND superseded = 0").fetchall()
    assert theirs == [("billing",)]


def test_more_like_this_and_a_search_link(ui_project, db, sign_in_app):
    ids = _ids(db)
    order = sorted(ids.values())
    vectors = np.random.default_rng(1).normal(size=(len(order), 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    save_embeddings(ui_project, 0, order, vectors)
    at = sign_in_app("ann")
    at.query_params.update({"mode": "similar_to", "like": str(order[0]), "labeled": "0"})
    at = at.switch_page(EXPLORE).run()
    assert not at.exception, at.exception
    assert any(f"{len(order) - 1} matches" in c.value for c in at.caption)


def test_the_map_tab_draws_the_worker_map(ui_project, db, sign_in_app):
    from annotator.services import projection
    from annotator.services.projects import open_project

    ids = sorted(_ids(db).values())
    vectors = np.random.default_rng(2).normal(size=(len(ids), 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    save_embeddings(ui_project, 0, ids, vectors)
    at = _explore(sign_in_app, "ann")
    assert any("No map yet" in i.value for i in at.info)
    with open_project(ui_project) as project:
        projection.compute_map(project)  # what the worker does
    at.run()
    assert not at.exception
    assert any(f"{len(ids)} texts, {len(ids)} drawn (pca)" in c.value for c in at.caption)
    with open_project(ui_project) as project:
        spec = projection.chart_spec(projection.map_points(project, "uncertainty"), "uncertainty")
    assert spec["params"][0]["name"] == "region" and len(spec["data"]["values"]) == len(ids)


def test_seed_each_label_searches_a_label_name_and_needs_the_worker(ui_project, db, sign_in_app):
    at = _explore(sign_in_app, "lead")
    assert [e for e in at.expander if e.label.startswith("Seed each label")]
    at.selectbox(key="ll_seed_label").select("shipping")
    button(at, "Find texts like it").click().run()
    assert not at.exception
    assert at.query_params["mode"] == "similar" and at.query_params["q"] == "shipping"
    assert at.query_params["labeled"] == "0"
    # no worker in this test, and no pool embeddings yet: the page says so instead of waiting
    assert any("no embeddings yet" in i.value for i in at.info)


def test_the_explore_page_never_imports_torch(ui_project, db):
    """Search, more like this and the map render in a fresh interpreter without torch."""
    import subprocess
    import sys
    import textwrap

    from annotator.services import projection
    from annotator.services.projects import open_project
    from tests.helpers.app import session_token

    ids = sorted(_ids(db).values())
    save_embeddings(ui_project, 0, ids, np.random.default_rng(3).normal(size=(len(ids), 8)).astype(np.float32))
    with open_project(ui_project) as project:
        projection.compute_map(project)
    script = textwrap.dedent(f"""
        import json, os, sys
        os.environ["LABELLOOP_PROJECT"] = {str(ui_project)!r}
        from streamlit.testing.v1 import AppTest
        at = AppTest.from_file({str(APP_MAIN)!r}, default_timeout=120)
        at.session_state["ll_token"] = {session_token(ui_project, "lead")!r}
        at.session_state["ll_user"] = "lead"
        at.run()
        at.query_params.update({{"mode": "similar_to", "like": "{ids[0]}", "item": "{ids[1]}"}})
        at.switch_page({EXPLORE!r}).run()
        errors = [str(e.value) for e in at.exception] + [e.value for e in at.error]
        print(json.dumps({{"torch": "torch" in sys.modules, "errors": errors, "texts": len(at.text)}}))
        """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["torch"] is False and result["errors"] == [] and result["texts"] > 1


def test_a_multi_label_project_filters_by_set_labels_a_text_with_a_set_and_in_bulk(tmp_path, monkeypatch, sign_in_app):
    from annotator.services.projects import open_project
    from annotator.store.label_sets import add_label_set, current_label_sets
    from tests.helpers.app import make_ui_project

    folder = make_ui_project(tmp_path / "multi", ["billing", "shipping", "technical"], multi_label=True)
    monkeypatch.setenv("LABELLOOP_PROJECT", str(folder))
    with open_project(folder) as project:
        ids = _ids(project.db)
        add_label_set(project.db, ids["The invoice charged me twice"], ["billing", "technical"], "lead")
        add_label_set(project.db, ids["My parcel never arrived"], ["shipping"], "lead")
    at = sign_in_app("lead")
    at.query_params.update({"mode": "all", "label": "technical"})
    at.switch_page(EXPLORE).run()
    assert not at.exception
    assert any("1 match" in c.value for c in at.caption)
    assert any("label: billing + technical" in c.value.replace("\\", "") for c in at.caption)
    # a bulk label adds the label to the lead's own set of each text
    at.selectbox(key="ll_bulk_label").select("shipping")
    at.radio(key="ll_bulk_scope").set_value(at.radio(key="ll_bulk_scope").options[1])
    button(at, "Review and label…").click().run()
    assert any("1 texts change**: shipping is added to your set of each" in m.value for m in at.markdown), [m.value for m in at.markdown]
    button(at, "Label 1 texts").click().run()
    assert not at.exception
    with open_project(folder) as project:
        sets = {(row["example_id"], row["annotator"]): row["names"] for row in current_label_sets(project.db)}
    assert sets[(ids["The invoice charged me twice"], "lead")] == ["billing", "shipping", "technical"]
    # open a text, toggle two labels (and one off again), submit the set with the search as provenance
    target = ids["App crashes on start"]
    at.query_params["item"] = str(target)
    at.run()
    assert any(t.value == "App crashes on start" for t in at.text)
    assert at.button(key="ll_explore_submit").disabled
    for name in ("technical", "billing", "shipping", "billing"):
        button(at, name).click().run()
    assert at.button(key="ll_explore_submit").label == "Submit shipping \\+ technical"
    at.button(key="ll_explore_submit").click().run()
    assert not at.exception
    with open_project(folder) as project:
        sets = {row["example_id"]: row["names"] for row in current_label_sets(project.db)}
        strategy, query = project.db.execute(
            "SELECT strategy, search_query FROM labels WHERE example_id = ?", (target,)).fetchone()
    assert sets[target] == ["shipping", "technical"]
    assert strategy == "search" and json.loads(query) == {"mode": "all", "filters": {"label": "technical"}}
    assert any("Saved shipping + technical" in s.value.replace("\\", "") for s in at.success)
