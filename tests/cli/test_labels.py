"""labelloop labels: list the label set and add to it."""

from __future__ import annotations

from annotator.cli import main
from annotator.services.labelset import get_labels
from annotator.services.projects import open_project


def test_labels_list_and_add(project, capsys):
    folder = str(project.path)
    assert main(["labels", "add", "mixed", "--project", folder]) == 0
    assert main(["labels", "list", "--project", folder]) == 0
    assert capsys.readouterr().out.splitlines()[-4:] == ["pos", "neg", "neutral", "mixed"]
    assert main(["labels", "add", "pos", "--project", folder]) == 1
    assert "already in the label set" in capsys.readouterr().err
    with open_project(folder) as reopened:
        assert get_labels(reopened.db) == ["pos", "neg", "neutral", "mixed"]


def test_labels_rename_merge_delete_and_the_export_shows_the_new_names(project, capsys, tmp_path):
    import csv

    from annotator.store.labels import add_label

    folder = str(project.path)
    data = tmp_path / "texts.csv"
    data.write_text("text\none\ntwo\nthree\n", encoding="utf-8")
    assert main(["import", str(data), "--project", folder]) == 0
    ids = [row[0] for row in project.db.execute("SELECT id FROM examples ORDER BY id")]
    for example_id, label in zip(ids, ["pos", "neg", "neutral"]):
        add_label(project.db, example_id, label, "ann")
    capsys.readouterr()
    assert main(["labels", "rename", "pos", "positive", "--project", folder]) == 0
    assert "renamed pos to positive (1 label rows)" in capsys.readouterr().out
    assert main(["labels", "merge", "neutral", "neg", "--project", folder]) == 0
    assert "merged neutral into neg (1 label rows moved); label set: positive, neg" in capsys.readouterr().out
    assert main(["labels", "delete", "neg", "--project", folder]) == 1
    assert "given by 2 label rows" in capsys.readouterr().err
    assert main(["labels", "add", "spare", "--project", folder]) == 0
    assert main(["labels", "delete", "spare", "--project", folder]) == 0
    out = tmp_path / "final.csv"
    assert main(["export", "--format", "csv", "--out", str(out), "--project", folder]) == 0
    assert [row["label"] for row in csv.DictReader(out.open(encoding="utf-8"))] == ["positive", "neg", "neg"]
    assert main(["labels", "delete", "neg", "--move-to", "positive", "--project", folder]) == 0
    assert "deleted neg (2 label rows moved to positive); label set: positive" in capsys.readouterr().out


def test_labels_differing_only_in_case_are_refused(project, capsys):
    folder = str(project.path)
    assert main(["labels", "add", "Pos", "--project", folder]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'Pos' differs from 'pos' only in case" in err
    assert main(["labels", "rename", "nope", "x", "--project", folder]) == 1
    assert "no label 'nope'" in capsys.readouterr().err
    with open_project(folder) as reopened:
        assert get_labels(reopened.db) == ["pos", "neg", "neutral"]
