"""The Review page: adjudicating disagreements, finding and fixing suspected label errors."""

from __future__ import annotations

import pytest

from annotator.app import navigation
from annotator.app.keys import escape_markdown
from annotator.store.labels import add_label, label_history
from tests.helpers.app import page


@pytest.mark.both_backends  # the page on PostgreSQL too
def test_review_adjudicates_a_disagreement(app_env):
    ids = app_env.ids
    at = page("lead_review.py", "lead")
    keys = [b.key for b in at.button]
    assert f"ll_adj_{ids[1]}_neg" in keys and f"ll_adj_{ids[2]}_neutral" in keys
    at.button(key=f"ll_adj_{ids[1]}_neg").click().run()
    assert not at.exception
    assert [s.value.replace("\\", "") for s in at.success][0].startswith(f"Item {ids[1]}: final label set to neg")
    history = label_history(app_env.db, ids[1])
    assert [(r["kind"], r["label"], r["annotator"]) for r in history][-1] == ("adjudication", "neg", "lead")
    assert f"ll_adj_{ids[1]}_neg" not in [b.key for b in at.button]


def test_review_without_embeddings_says_so(app_env):
    at = page("lead_review.py", "lead")
    at.button(key="ll_review_run").click().run()
    assert not at.exception
    assert any("no cached pool embeddings" in i.value for i in at.info)


def test_review_finds_and_fixes_a_suspected_error(project, tmp_path, monkeypatch):
    import numpy as np

    from annotator.services.training.embeddings import save_embeddings
    from annotator.store.labels import add_label
    from tests.helpers.team import add_texts, add_users

    rng = np.random.default_rng(0)
    names = ["pos", "neg", "neutral"]
    truth = [names[i % 3] for i in range(36)]
    X = np.eye(8)[[names.index(t) for t in truth]] * 6 + rng.normal(scale=0.5, size=(36, 8))
    ids = add_texts(project, [f"review text {i}" for i in range(36)], tmp_path)
    add_users(project)
    given = list(truth)
    given[4] = "pos"  # truly neg
    for example_id, label in zip(ids, given):
        add_label(project.db, example_id, label, "ann1")
    save_embeddings(project.path, 0, ids, X)
    monkeypatch.setenv("LABELLOOP_PROJECT", str(project.path))
    at = page("lead_review.py", "lead")
    at.button(key="ll_review_run").click().run()
    assert not at.exception
    fix = f"ll_fix_{ids[4]}_neg"
    assert fix in [b.key for b in at.button]
    at.button(key=fix).click().run()
    assert label_history(project.db, ids[4])[-1]["kind"] == "adjudication"
    assert fix not in [b.key for b in at.button]


def test_review_button_from_a_demoted_lead_does_nothing(app_env):
    from annotator.store.users import update_user

    ids = app_env.ids
    at = page("lead_review.py", "lead")
    update_user(app_env.db, "lead", role="annotator")
    at.button(key=f"ll_adj_{ids[1]}_neg").click().run()
    assert all(r["kind"] != "adjudication" for r in label_history(app_env.db, ids[1]))


MARKDOWN_LABEL = "*urgent* [see](http://example.com)"


def test_review_confirms_the_final_label_as_text(tmp_path, monkeypatch, project_factory, sign_in_app):
    folder = project_factory(tmp_path / "md", ["plain", MARKDOWN_LABEL])
    monkeypatch.setenv("LABELLOOP_PROJECT", str(folder))
    from annotator.services.projects import open_project

    with open_project(folder) as project:
        example_id = project.db.execute("SELECT MIN(id) FROM examples").fetchone()[0]
        add_label(project.db, example_id, "plain", "ann")
        add_label(project.db, example_id, MARKDOWN_LABEL, "other")
    at = sign_in_app("lead")
    at.switch_page(str(navigation.PAGES_DIR / "lead_review.py")).run()
    at.button(key=f"ll_adj_{example_id}_{MARKDOWN_LABEL}").click().run()
    assert not at.exception
    shown = [s.value for s in at.success]
    assert escape_markdown(f"Item {example_id}: final label set to {MARKDOWN_LABEL}.") in shown


def test_review_lists_late_labels_and_settles_them(app_env):
    example = app_env.ids[12]
    add_label(app_env.db, example, "pos", "ann1")
    add_label(app_env.db, example, "neg", "ann2", late=True)
    at = page("lead_review.py", "lead")
    assert any(tab.label == "Late labels (1)" for tab in at.tabs)
    assert any("late: ann2: neg" in caption.value.replace("\\", "") for caption in at.caption)
    at.button(key=f"ll_late_{example}_pos").click().run()
    assert not at.exception and any(tab.label == "Late labels (0)" for tab in at.tabs)
    assert label_history(app_env.db, example)[-1]["kind"] == "adjudication"


@pytest.mark.both_backends  # the page on PostgreSQL too
def test_flags_and_comments_reach_the_lead_who_returns_or_keeps_out_the_text(app_env):
    from annotator.services import flags, queue

    ids = app_env.ids
    flags.flag_text(app_env, "ann1", ids[12], "broken", "cut off mid-sentence")
    flags.flag_text(app_env, "ann2", ids[12], "ambiguous")
    flags.flag_text(app_env, "ann2", ids[13], "offensive")
    comment = flags.add_comment(app_env, "ann3", ids[14], "Is a refund pos or neg?")
    dashboard = page("lead_dashboard.py", "lead")
    metrics = {m.label: m.value for m in dashboard.metric}
    assert (metrics["Flagged texts"], metrics["Unread comments"], metrics["Disagreements"]) == ("2", "1", "2")

    at = page("lead_review.py", "lead")
    assert [t.label for t in at.tabs][-2:] == ["Flags (2)", "Comments (1)"]
    said = " ".join(c.value for c in at.caption).replace("\\", "")
    assert "broken (ann1): cut off mid-sentence · ambiguous (ann2)" in said
    assert "ann3: Is a refund pos or neg?" in said
    at.button(key=f"ll_flag_return_{ids[12]}").click().run()
    at.button(key=f"ll_flag_exclude_{ids[13]}").click().run()
    at.button(key=f"ll_comment_read_{comment}").click().run()
    assert not at.exception
    assert [t.label for t in at.tabs][-2:] == ["Flags (0)", "Comments (0)"]
    statuses = dict(app_env.db.execute("SELECT DISTINCT example_id, status FROM flags").fetchall())
    assert statuses == {ids[12]: "returned", ids[13]: "excluded"}
    served = {queue.next_item(app_env, f"probe{i}").example_id for i in range(12)}
    assert ids[12] in served and ids[13] not in served
    # a text kept out can be let back in
    at.button(key=f"ll_flag_back_{ids[13]}").click().run()
    assert app_env.db.execute("SELECT status FROM flags WHERE example_id = ?", (ids[13],)).fetchone() == ("returned",)


def test_review_of_a_multi_label_project_lists_disputed_labels_and_adjudicates_a_set(
        tmp_path, monkeypatch):
    import json

    from annotator.services.exports import export
    from annotator.services.projects import open_project
    from annotator.store.label_sets import add_label_set
    from tests.helpers.app import make_ui_project

    folder = make_ui_project(tmp_path / "multi", ["billing", "shipping", "technical"], multi_label=True)
    monkeypatch.setenv("LABELLOOP_PROJECT", str(folder))
    with open_project(folder) as project:
        first, second, third = [row[0] for row in project.db.execute("SELECT id FROM examples ORDER BY id LIMIT 3")]
        add_label_set(project.db, first, ["billing", "shipping"], "ann")
        add_label_set(project.db, first, ["billing"], "other")
        add_label_set(project.db, second, ["technical"], "ann")
        add_label_set(project.db, second, ["technical"], "other")  # agreed: not listed
        add_label_set(project.db, third, ["shipping"], "ann")
        add_label_set(project.db, third, ["billing", "technical"], "other", late=True)
    at = page("lead_review.py", "lead")
    assert not at.exception
    said = " ".join(c.value for c in at.caption).replace("\\", "")
    assert "ann: billing + shipping, other: billing · disputed: shipping" in said
    assert "Disputed labels: shipping 2, " in said
    keys = [b.key for b in at.button]
    assert f"ll_adj_{first}_shipping" in keys and f"ll_adj_{second}_technical" not in keys
    # the agreed label starts chosen, the disputed one is marked; toggle shipping on, technical on and off
    chosen = {b.key: b.proto.type for b in at.button if b.key and b.key.startswith(f"ll_adj_{first}_")}
    assert chosen == {f"ll_adj_{first}_billing": "primary", f"ll_adj_{first}_shipping": "secondary",
                      f"ll_adj_{first}_technical": "secondary"}
    assert at.button(key=f"ll_adj_{first}_shipping").proto.icon == ":material/help:"
    at.button(key=f"ll_adj_{first}_shipping").click().run()
    at.button(key=f"ll_adj_{first}_technical").click().run()
    at.button(key=f"ll_adj_{first}_technical").click().run()
    assert at.button(key=f"ll_adj_submit_{first}").label == "Set final: billing \\+ shipping"
    at.button(key=f"ll_adj_submit_{first}").click().run()
    assert not at.exception
    assert any(s.value.replace("\\", "").startswith(f"Item {first}: final label set to billing + shipping")
               for s in at.success)
    assert f"ll_adj_submit_{first}" not in [b.key for b in at.button]
    # the late set is listed with the text's other set and settled the same way
    assert any(tab.label == "Late labels (1)" for tab in at.tabs)
    assert "late: other: billing + technical · ann: shipping" in " ".join(c.value for c in at.caption).replace("\\", "")
    at.button(key=f"ll_late_{third}_technical").click().run()
    at.button(key=f"ll_late_submit_{third}").click().run()
    assert not at.exception and any(tab.label == "Late labels (0)" for tab in at.tabs)
    with open_project(folder) as project:
        out = tmp_path / "final.jsonl"
        export(project, out, "jsonl")
        finals = {row["ext_id"]: row["labels"] for row in map(json.loads, out.read_text().splitlines())}
    assert finals["t0"] == ["billing", "shipping"] and finals["t2"] == ["billing"]


def test_review_finds_a_suspected_wrong_set_and_the_lead_fixes_it(tmp_path, monkeypatch):
    import numpy as np

    from annotator.services.projects import create_project
    from annotator.services.training.embeddings import save_embeddings
    from annotator.store.label_sets import add_label_set, current_label_sets
    from tests.helpers.team import add_texts, add_users

    rng = np.random.default_rng(0)
    truth = [["anger"], ["joy"], ["joy", "love"]]
    X = np.vstack([np.eye(8)[k] * 6.0 + rng.normal(scale=0.5, size=(12, 8)) for k in range(3)])
    with create_project(tmp_path / "cv", ["anger", "joy", "love"], multi_label=True) as project:
        ids = add_texts(project, [f"text {i}" for i in range(36)], tmp_path)
        add_users(project)
        for i, example_id in enumerate(ids):
            add_label_set(project.db, example_id, ["joy"] if i == 3 else truth[i // 12], "ann1")
        save_embeddings(project.path, 0, ids, X)
        monkeypatch.setenv("LABELLOOP_PROJECT", str(project.path))
        at = page("lead_review.py", "lead")
        at.slider(key="ll_review_threshold").set_value(0.7).run()
        at.button(key="ll_review_run").click().run()
        assert not at.exception
        said = " ".join(c.value for c in at.caption).replace("\\", "")
        assert f"Item {ids[3]} · label: joy · model: anger" in said and "disputed: anger, joy" in said
        # the set starts as given; the disputed labels are marked; the lead turns joy off and anger on
        at.button(key=f"ll_fix_{ids[3]}_joy").click().run()
        at.button(key=f"ll_fix_{ids[3]}_anger").click().run()
        at.button(key=f"ll_fix_submit_{ids[3]}").click().run()
        assert not at.exception
        final = [row for row in current_label_sets(project.db) if row["example_id"] == ids[3]]
        assert [(row["kind"], row["names"]) for row in final if row["kind"] == "adjudication"] == [
            ("adjudication", ["anger"])]
        assert f"ll_fix_submit_{ids[3]}" not in [b.key for b in at.button]
