"""The labelloop command: help text everywhere, exit codes, one-line errors without tracebacks."""

from __future__ import annotations

import argparse
import json
import subprocess

from annotator.cli import build_parser
from tests.helpers.cli import CLI, run
from tests.helpers.files import write_csv, write_jsonl


def _walk(parser: argparse.ArgumentParser, path: str):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            for name, child in action.choices.items():
                yield f"{path} {name}", helps.get(name), child
                yield from _walk(child, f"{path} {name}")


def test_every_command_and_option_has_help():
    commands = list(_walk(build_parser(), "labelloop"))
    names = {name for name, _, _ in commands}
    assert {"labelloop import", "labelloop export", "labelloop stats", "labelloop user add",
            "labelloop user list", "labelloop user remove", "labelloop demo", "labelloop init"} <= names
    missing = [name for name, help_text, _ in commands if not (help_text and help_text.strip())]
    assert missing == [], f"commands without help text: {missing}"
    undocumented = [
        f"{name} {action.dest}"
        for name, _, parser in commands
        for action in parser._actions
        if not isinstance(action, (argparse._SubParsersAction, argparse._HelpAction))
        and not (action.help and action.help.strip())
    ]
    assert undocumented == [], f"options without help text: {undocumented}"


def test_init_import_stats_export(tmp_path, capsys, monkeypatch):
    folder = str(tmp_path / "P")
    assert run(["init", folder, "--labels", "pos,neg"], capsys)[0] == 0
    data = write_csv(tmp_path / "d.csv", [{"text": "a", "label": "pos"}, {"text": "b", "label": "neg"}, {"text": "a", "label": "neg"}])
    code, out, _ = run(["import", str(data), "--project", folder, "--label-column", "label"], capsys)
    assert code == 0 and "added 2 examples" in out and "1 duplicates within the file" in out
    monkeypatch.setenv("LABELLOOP_PROJECT", folder)  # --project from the environment
    code, out, _ = run(["stats", "--json"], capsys)
    stats = json.loads(out)
    assert code == 0 and stats["pool"] == 2 and stats["per_label"] == {"pos": 0, "neg": 2}
    code, out, _ = run(["stats"], capsys)
    assert code == 0 and "pool:" in out
    out_file = tmp_path / "x.parquet"
    code, out, _ = run(["export", "--out", str(out_file)], capsys)
    assert code == 0 and "wrote 2 labeled examples" in out and out_file.exists()
    code, out, _ = run(["export", "--format", "jsonl", "--out", str(tmp_path / "raw.txt"), "--raw"], capsys)
    assert code == 0 and "wrote 2 label rows" in out
    code, out, _ = run(["import", str(data), "--json", "--annotator", "bob", "--label-column", "label"], capsys)
    assert code == 0 and json.loads(out)["labels_added"] == 2


def test_stats_counts_the_evaluation_set_apart_from_the_pool(tmp_path, capsys):
    # The one meaning of the counts (README): the pool is the texts to label; the evaluation set is
    # counted apart, never inside the pool or its labeled texts.
    folder = str(tmp_path / "P")
    run(["init", folder, "--labels", "pos,neg"], capsys)
    pool = write_csv(tmp_path / "pool.csv", [{"text": "a", "label": "pos"}, {"text": "b", "label": ""},
                                             {"text": "c", "label": ""}])
    run(["import", str(pool), "--project", folder, "--label-column", "label"], capsys)
    held_out = write_csv(tmp_path / "eval.csv", [{"text": "d", "label": "neg"}, {"text": "e", "label": "pos"}])
    run(["import", str(held_out), "--project", folder, "--label-column", "label", "--eval-set"], capsys)
    code, out, _ = run(["stats", "--project", folder], capsys)
    assert code == 0
    assert "pool:      3 texts to label (the evaluation set apart: 2 texts, 2 labeled)" in out
    assert "labeled:   1 of the pool  unlabeled: 2" in out


def test_errors_are_one_line_and_change_nothing(tmp_path, capsys):
    folder = str(tmp_path / "P")
    run(["init", folder, "--labels", "pos,neg"], capsys)
    run(["import", str(write_csv(tmp_path / "ok.csv", [{"text": "a"}])), "--project", folder], capsys)
    before = run(["stats", "--json", "--project", folder], capsys)[1]
    bad_csv = write_csv(tmp_path / "bad.csv", [{"body": "a"}])
    bad_jsonl = tmp_path / "bad.jsonl"
    bad_jsonl.write_text('{"text": "x"}\n{"text": \n', encoding="utf-8")
    for bad in (bad_csv, bad_jsonl):
        code, out, err = run(["import", str(bad), "--project", folder], capsys)
        assert code == 1 and out == ""
        assert err.count("\n") == 1 and err.startswith("labelloop: error: ") and str(bad) in err
        assert "Traceback" not in err
    assert run(["stats", "--json", "--project", folder], capsys)[1] == before
    code, _, err = run(["stats", "--project", str(tmp_path / "nothing")], capsys)
    assert code == 1 and "not a Labelloop project" in err
    code, _, err = run(["export", "--project", folder, "--out", str(tmp_path / "x.xlsx")], capsys)
    assert code == 1 and "pass --format" in err
    code, _, err = run(["export", "--project", folder, "--out", str(tmp_path / "x"), "--format", "xml"], capsys)
    assert code == 1 and err.count("\n") == 1 and "unknown export format 'xml'" in err
    code, _, err = run(["import", str(tmp_path / "ok.csv"), "--project", folder, "--format", "xml"], capsys)
    assert code == 1 and err.count("\n") == 1 and "unknown format 'xml'" in err
    assert run(["stats", "--json", "--project", folder], capsys)[1] == before


def test_subprocess_error_has_no_traceback(tmp_path):
    folder = tmp_path / "P"
    subprocess.run([*CLI, "init", str(folder), "--labels", "a,b"], check=True,
                   capture_output=True)
    bad = write_jsonl(tmp_path / "x.jsonl", [{"text": "ok", "label": "zzz"}])
    result = subprocess.run(
        [*CLI, "import", str(bad), "--project", str(folder), "--label-column", "label"],
        capture_output=True, text=True,
    )
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "label 'zzz' is not in the label set" in result.stderr
    assert "Traceback" not in result.stderr


def test_version(capsys):
    import pytest

    from annotator.cli import main, version

    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"labelloop {version()}"
    assert version()[0].isdigit()


def test_import_shows_context_columns_and_reports_every_bad_row(tmp_path, capsys):
    folder = str(tmp_path / "P")
    run(["init", folder, "--labels", "positive,negative"], capsys)
    data = write_csv(tmp_path / "reviews.csv", [
        {"text": "fine", "label": "Positive", "author": "ann", "product": "x"},
        {"text": "", "label": "negative", "author": "bob", "product": "y"},
        {"text": "meh", "label": "negativ", "author": "cy", "product": "z"},
        {"text": "good", "label": "positive", "author": "di", "product": "w"},
    ])
    code, out, err = run(["import", str(data), "--label-column", "label", "--context-columns", "author,product",
                          "--project", folder], capsys)
    assert code == 1 and err.count("\n") == 1
    assert "3 rows have problems, nothing was imported: row 1: label 'Positive' is not in the label set " \
           "(did you mean 'positive'?)" in err
    assert "; row 2: empty text in column 'text'; row 3: label 'negativ' is not in the label set " \
           "(did you mean 'negative'?)" in err
    good = write_csv(tmp_path / "good.csv", [{"text": "fine", "author": "ann", "product": "x"}])
    code, _, err = run(["import", str(good), "--context-columns", "author,colour", "--project", folder], capsys)
    assert code == 1 and "no column 'colour' to show beside the texts (other columns: author, product)" in err
    assert run(["import", str(good), "--context-columns", "author,product", "--project", folder], capsys)[0] == 0
    assert '"author,product"' in run(["settings", "context_columns", "--project", folder], capsys)[1]


def test_init_multi_label_is_shown_by_stats(tmp_path, capsys):
    folder = str(tmp_path / "M")
    code, out, _ = run(["init", folder, "--labels", "joy,anger", "--multi-label"], capsys)
    assert code == 0 and out.startswith("created multi-label project")
    code, out, _ = run(["stats", "--project", folder], capsys)
    assert code == 0 and "project:   multi-label" in out
    assert json.loads(run(["stats", "--project", folder, "--json"], capsys)[1])["label_mode"] == "multi-label"
    run(["init", str(tmp_path / "S"), "--labels", "a,b"], capsys)
    assert json.loads(run(["stats", "--project", str(tmp_path / "S"), "--json"], capsys)[1])["label_mode"] == \
        "single-label"


def test_multi_label_import_and_export_with_a_separator(tmp_path, capsys):
    folder = str(tmp_path / "M")
    run(["init", folder, "--labels", "joy,anger,fear", "--multi-label"], capsys)
    data = write_csv(tmp_path / "d.csv", [{"text": "a", "labels": "joy;fear"}, {"text": "b", "labels": "anger"}])
    code, out, _ = run(["import", str(data), "--project", folder, "--label-column", "labels",
                        "--label-separator", ";"], capsys)
    assert code == 0 and "2 added" in out
    code, out, _ = run(["export", "--project", folder, "--out", str(tmp_path / "o.csv"), "--label-separator", "+"],
                       capsys)
    assert code == 0 and "wrote 2 labeled examples" in out
    assert "joy+fear" in (tmp_path / "o.csv").read_text()
    code, _, err = run(["import", str(data), "--project", folder, "--label-column", "labels"], capsys)
    assert code != 0 and "'joy;fear' is not in the label set" in err and err.count("\n") == 1
