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
