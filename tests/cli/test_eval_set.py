"""labelloop eval-set reserve: a thin command over annotator.services.evalset."""

from __future__ import annotations

from annotator.cli import main
from annotator.store.reporting import pool_counts


def test_reserve_command(team_project, capsys):
    assert main(["eval-set", "reserve", "5", "--seed", "1", "--project", str(team_project.path)]) == 0
    assert capsys.readouterr().out.strip() == "reserved 5 evaluation items"
    assert pool_counts(team_project.db)["eval"] == 5


def test_reserve_too_many_is_one_line_and_changes_nothing(team_project, capsys):
    assert main(["eval-set", "reserve", "99", "--project", str(team_project.path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("labelloop: error: cannot reserve 99") and err.count("\n") == 1
    assert pool_counts(team_project.db)["eval"] == 0
