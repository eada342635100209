"""labelloop settings and labelloop labels: show, change, refuse bad values without writing."""

from __future__ import annotations

import json
import re
from pathlib import Path

from annotator.cli import main
from annotator.config import SETTINGS
from annotator.store import open_project
from annotator.store.settings import get_labels, get_settings


def test_settings_show_change_and_refuse(project, capsys):
    folder = str(project.path)
    assert main(["settings", "--project", folder, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["batch_size"] == 25 and shown["strategy"] == "margin"

    assert main(["settings", "batch_size", "40", "--project", folder]) == 0
    assert main(["settings", "strategy", "entropy", "--project", folder]) == 0
    assert main(["settings", "warm_start", "false", "--project", folder]) == 0
    capsys.readouterr()
    with open_project(folder) as reopened:
        values = get_settings(reopened.db)
    assert (values["batch_size"], values["strategy"], values["warm_start"]) == (40, "entropy", False)

    for bad in (["batch_size", "many"], ["strategy", "clever"], ["overlap_fraction", "2"], ["nope", "1"]):
        assert main(["settings", *bad, "--project", folder]) == 1
        err = capsys.readouterr().err.strip()
        assert err.startswith("labelloop: error:") and "\n" not in err
    with open_project(folder) as reopened:
        assert get_settings(reopened.db) == values


def test_labels_list_and_add(project, capsys):
    folder = str(project.path)
    assert main(["labels", "add", "mixed", "--project", folder]) == 0
    assert main(["labels", "list", "--project", folder]) == 0
    assert capsys.readouterr().out.splitlines()[-4:] == ["pos", "neg", "neutral", "mixed"]
    assert main(["labels", "add", "pos", "--project", folder]) == 1
    assert "already in the label set" in capsys.readouterr().err
    with open_project(folder) as reopened:
        assert get_labels(reopened.db) == ["pos", "neg", "neutral", "mixed"]


def test_readme_settings_table_lists_every_setting_with_its_default():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `(\w+)` \| `([^`]*)` \|", readme, flags=re.MULTILINE))
    for key, spec in SETTINGS.items():
        shown = '""' if spec.default == "" else str(spec.default)
        assert rows.get(key) == shown, f"README's settings table: {key} should show {shown}"
