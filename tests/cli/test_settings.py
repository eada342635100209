"""labelloop settings: show, change, refuse bad values without writing; a bad stored value gives way."""

from __future__ import annotations

import json

from annotator.cli import main
from annotator.config import SETTINGS
from annotator.services.imports import import_file
from annotator.services.projects import open_project
from annotator.services.settings import get_settings


def test_settings_show_change_and_refuse(project, capsys):
    folder = str(project.path)
    assert main(["settings", "--project", folder, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["batch_size"] == 25 and shown["strategy"] == "margin_kmeans"

    assert main(["settings", "batch_size", "40", "--project", folder]) == 0
    assert main(["settings", "strategy", "entropy", "--project", folder]) == 0
    assert main(["settings", "warm_start", "false", "--project", folder]) == 0
    capsys.readouterr()
    with open_project(folder) as reopened:
        values = get_settings(reopened.db)
    assert (values.batch_size, values.strategy, values.warm_start) == (40, "entropy", False)

    for bad in (["batch_size", "many"], ["strategy", "clever"], ["overlap_fraction", "2"], ["nope", "1"]):
        assert main(["settings", *bad, "--project", folder]) == 1
        err = capsys.readouterr().err.strip()
        assert err.startswith("labelloop: error:") and "\n" not in err
    with open_project(folder) as reopened:
        assert get_settings(reopened.db) == values


def test_settings_refuse_non_finite_non_integer_and_out_of_range_values(project, capsys):
    folder = str(project.path)
    with open_project(folder) as reopened:
        before = get_settings(reopened.db)
    bad = [
        ("overlap_fraction", "nan"), ("overlap_fraction", "inf"), ("overlap_fraction", "-inf"),
        ("seed", "1e23"), ("seed", "2.5"), ("seed", str(10**23)), ("seed", str(2**31)), ("seed", "-1"),
        ("batch_size", "1e3"), ("lease_seconds", "NaN"), ("warm_start", "maybe"), ("read_pause_ms", "0x10"),
    ]
    for key, value in bad:
        assert main(["settings", "--project", folder, "--", key, value]) == 1, (key, value)
        err = capsys.readouterr().err.strip()
        assert err.startswith(f"labelloop: error: setting {key!r} must be") and "\n" not in err
    assert main(["settings", "seed", str(2**31 - 1), "--project", folder]) == 0
    capsys.readouterr()
    with open_project(folder) as reopened:
        assert get_settings(reopened.db).as_dict() == {**before.as_dict(), "seed": 2**31 - 1}


def test_a_bad_stored_value_gives_way_to_its_default_and_is_reported(project, capsys, caplog):
    from annotator.services.queue import next_item
    from annotator.services.settings import setting_problems
    from annotator.store.connection import write_transaction
    from tests.helpers.files import write_csv

    import_file(project, write_csv(project.path / "pool.csv", [{"text": "one"}, {"text": "two"}]))
    with write_transaction(project.db):  # what an older version could leave behind
        project.db.execute("INSERT INTO settings(key, value) VALUES ('overlap_fraction', 'NaN'), "
                           "('seed', '1e+23'), ('batch_size', '\"many\"'), ('lease_seconds', 'not json')")
    values = get_settings(project.db)
    defaults = {key: spec.default for key, spec in SETTINGS.items()}
    assert values.as_dict() == defaults
    assert sorted(setting_problems(project.db)) == ["batch_size", "lease_seconds", "overlap_fraction", "seed"]
    assert next_item(project, "ann") is not None  # the queue serves with the defaults
    assert main(["settings", "--project", str(project.path), "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out) == defaults
    warnings = captured.err.strip().splitlines()
    assert len(warnings) == 4 and all(w.startswith("labelloop: warning: the stored value") for w in warnings)
    assert main(["settings", "overlap_fraction", "0.2", "--project", str(project.path)]) == 0
    assert "overlap_fraction" not in setting_problems(project.db)
