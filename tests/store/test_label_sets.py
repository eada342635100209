"""Multi-label rows on a real SQLite file: m013 (nullable labels.label, label_members, project_meta) and the
label-set SQL (a set per row, superseding like a single label, members in the label set's order)."""

from __future__ import annotations

import pytest

from annotator.errors import LabelSetError
from annotator.services.projects import create_project
from annotator.store import migrations
from annotator.store.connection import connect, write_transaction
from annotator.store.label_sets import add_label_set, current_label_sets, current_sets_by, members_of
from annotator.store.labels import label_history
from annotator.store.project import open_database
from tests.helpers.team import add_texts

pytestmark = pytest.mark.both_backends


@pytest.fixture
def multi(tmp_path, database_url):
    with create_project(tmp_path / "m", ["joy", "anger", "fear"], multi_label=True,
                        database_url=database_url) as project:
        project.ids = add_texts(project, ["one", "two", "three"], tmp_path)
        yield project


def test_a_set_is_one_row_and_its_members_in_label_order(multi):
    row_id = add_label_set(multi.db, multi.ids[0], ["fear", "joy"], "ann", seconds=2.0)
    assert members_of(multi.db, [row_id]) == {row_id: ["joy", "fear"]}
    [row] = label_history(multi.db, multi.ids[0])
    assert row["label"] is None and row["seconds"] == 2.0 and row["superseded"] == 0


def test_a_new_set_supersedes_the_old_one_and_history_keeps_both(multi):
    first = add_label_set(multi.db, multi.ids[0], ["joy"], "ann")
    second = add_label_set(multi.db, multi.ids[0], ["joy", "anger"], "ann")
    history = label_history(multi.db, multi.ids[0])
    assert [(row["id"], row["superseded"], row["superseded_reason"]) for row in history] == [
        (first, 1, "relabel"), (second, 0, None)]
    assert members_of(multi.db, [first, second]) == {first: ["joy"], second: ["joy", "anger"]}
    current = current_label_sets(multi.db)
    assert [(row["example_id"], row["names"]) for row in current] == [(multi.ids[0], ["joy", "anger"])]
    with write_transaction(multi.db) as conn:
        assert current_sets_by(conn, multi.ids, "ann") == {multi.ids[0]: frozenset({"joy", "anger"})}


def test_an_empty_set_is_a_row_with_no_members(multi):
    row_id = add_label_set(multi.db, multi.ids[1], [], "ann")
    assert members_of(multi.db, [row_id]) == {row_id: []}
    assert current_label_sets(multi.db)[0]["names"] == []


def test_an_unknown_label_changes_nothing(multi):
    with pytest.raises(LabelSetError, match="'sadness' is not in the label set"):
        add_label_set(multi.db, multi.ids[0], ["joy", "sadness"], "ann")
    assert label_history(multi.db, multi.ids[0]) == []
    assert multi.db.execute("SELECT COUNT(*) FROM label_members").fetchone()[0] == 0


def test_m013_keeps_every_label_row_and_index_of_an_older_database(tmp_path):
    folder = tmp_path / "old"
    folder.mkdir()
    db = connect(folder / "project.db")
    migrations.migrations.apply(db, stop_before="m013_multi_label")
    db.execute("INSERT INTO labelset(name, position, created_at) VALUES ('a', 0, 0)")
    db.execute("INSERT INTO examples(text, text_hash, created_at) VALUES ('kept', 'h1', 0)")
    db.execute("INSERT INTO labels(example_id, label, annotator, created_at, late, suggestion) "
               "VALUES (1, 'a', 'ann', 5, 1, 'a')")
    indexes = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='index' AND tbl_name='labels'")}
    db.conn.commit()
    db.conn.close()
    project = open_database(folder)
    try:
        rows = project.db.execute("SELECT example_id, label, annotator, created_at, late, suggestion FROM labels")
        assert rows.fetchall() == [(1, "a", "ann", 5.0, 1, "a")]
        after = {row[0] for row in project.db.execute(
            "SELECT name FROM sqlite_master WHERE type='index' AND tbl_name='labels'")}
        assert indexes <= after
        assert project.db.execute("SELECT value FROM project_meta").fetchall() == []
    finally:
        project.close()


def test_sets_never_reach_a_single_label_model(multi):
    from annotator.store.trainset import training_class_count, training_examples_per_label, training_labels

    add_label_set(multi.db, multi.ids[0], ["joy", "fear"], "ann")
    add_label_set(multi.db, multi.ids[1], ["anger"], "ann")
    assert training_labels(multi.db) == [] and training_examples_per_label(multi.db) == {}
    assert training_class_count(multi.db) == 0


def test_renaming_merging_and_deleting_labels_follow_into_the_sets(multi):
    from annotator.errors import LabelloopError
    from annotator.services.labelset import delete_label, get_labels, merge_labels, rename_label

    first = add_label_set(multi.db, multi.ids[0], ["joy", "fear"], "ann")
    second = add_label_set(multi.db, multi.ids[1], ["anger", "fear"], "ann")
    rename_label(multi.db, "joy", "happiness")
    assert get_labels(multi.db) == ["happiness", "anger", "fear"]
    assert members_of(multi.db, [first]) == {first: ["happiness", "fear"]}
    merge_labels(multi.db, "fear", "anger")  # the second set held both: it keeps one
    assert members_of(multi.db, [first, second]) == {first: ["happiness", "anger"], second: ["anger"]}
    with pytest.raises(LabelloopError):
        delete_label(multi.db, "happiness")  # a set uses it
    assert get_labels(multi.db) == ["happiness", "anger"]
