"""What a lead takes away is what the tool shows: the exported model IS each version's predictor.

A project with the tiny BERT: the worker's refresh (and a fine-tune) publish versions; the zip of a
version, loaded with ``transformers.pipeline``, must give the suggestions the queue showed (its
``scores``), the figures ``stats --json`` reports (measured on the artifact), and carry no path of the
machine it was made on.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from annotator.cli import main
from annotator.errors import ProjectError
from annotator.services.model_export import archive_name, exportable_version, zip_model
from annotator.store.versions import publish_version, version_scores
from tests.helpers.app import sign_in
from tests.helpers.models import pipeline_of, unzip


def assert_no_machine_paths(folder: Path, *paths: Path) -> None:
    for file in folder.rglob("*"):
        if file.is_file() and file.suffix in (".json", ".txt", ".md"):
            text = file.read_text(encoding="utf-8")
            for path in paths:
                assert str(path) not in text, (file.name, str(path))
            assert "/tmp/" not in text and "/root/" not in text, file.name


def test_no_model_yet_is_a_clear_error(project, tmp_path):
    publish_version(project.db, kind="coldstart", strategy="random", scores=[])
    with pytest.raises(ProjectError, match="no model yet"):
        zip_model(project, tmp_path / "m.zip")
    assert not (tmp_path / "m.zip").exists()


def test_the_zip_gives_the_suggestions_and_the_figures_the_tool_shows(modelled, tmp_path, tiny_model_dir):
    from annotator.services.dashboard import model_stats
    from annotator.services.training.export_eval import measure_exported

    out = zip_model(modelled, tmp_path / "model.zip")
    folder = unzip(out, tmp_path / "unzipped")
    assert folder.name == archive_name(modelled, modelled.version)
    classify = pipeline_of(folder)
    # the suggestions annotators saw (scores of the current version) are the pipeline's answers
    texts = dict(modelled.db.execute("SELECT id, text FROM examples").fetchall())
    scores = version_scores(modelled.db, modelled.version)
    answers = classify([texts[row["example_id"]] for row in scores])
    assert [a["label"] for a in answers] == [row["predicted"] for row in scores]
    assert np.allclose([a["score"] for a in answers], [row["confidence"] for row in scores], atol=1e-4)
    # the Dashboard's figure, the artifact's measured figure and the pipeline's own agree
    eval_texts, eval_labels = zip(*modelled.evals)
    accuracy = np.mean([a["label"] == y for a, y in zip(classify(list(eval_texts)), eval_labels)])
    shown = model_stats(modelled)
    assert shown["version"] == modelled.version and shown["predictor"] == "head on the base model"
    summary = measure_exported(modelled)
    assert summary["accuracy"] == pytest.approx(accuracy) == pytest.approx(shown["accuracy"], abs=1e-4)
    assert model_stats(modelled)["exported"]["accuracy"] == pytest.approx(accuracy, abs=1e-4)
    meta = json.loads((folder / "labelloop.json").read_text())
    assert meta["version"] == modelled.version and meta["base_model"] == tiny_model_dir.name
    assert "pipeline(" in (folder / "README.md").read_text()
    assert_no_machine_paths(folder, modelled.path, tiny_model_dir)


def test_after_a_fine_tune_the_zip_is_the_head_on_the_fine_tuned_encoder(modelled, tmp_path):
    from annotator.services.training.train import train_once

    result = train_once(modelled.path)
    assert exportable_version(modelled)["version"] == result.version
    folder = unzip(zip_model(modelled, tmp_path / "tuned.zip"), tmp_path / "tuned")
    meta = json.loads((folder / "labelloop.json").read_text())
    assert meta["predictor"] == f"head on fine-tuned v{result.version}"
    texts = dict(modelled.db.execute("SELECT id, text FROM examples").fetchall())
    scores = version_scores(modelled.db, result.version)
    answers = pipeline_of(folder)([texts[row["example_id"]] for row in scores])
    assert [a["label"] for a in answers] == [row["predicted"] for row in scores]
    assert_no_machine_paths(folder, modelled.path)


def test_cli_export_model_writes_the_pages_zip(modelled, tmp_path, monkeypatch, capsys):
    import io

    from streamlit.testing.v1 import AppTest

    from annotator.app import navigation
    from annotator.services.passwords import hash_password
    from annotator.store.users import insert_user

    out = tmp_path / "cli.zip"
    assert main(["export", "--project", str(modelled.path), "--model", "--out", str(out)]) == 0
    assert f"version {modelled.version}" in capsys.readouterr().out
    insert_user(modelled.db, "boss", "lead", hash_password("long-password"))
    monkeypatch.setenv("LABELLOOP_PROJECT", str(modelled.path))
    at = AppTest.from_file(str(navigation.PAGES_DIR / "lead_export.py"), default_timeout=60)
    sign_in(at, modelled.path, "boss")
    at.run()
    at.button(key="ll_export_model_prepare").click().run()
    assert not at.exception and not at.error
    page = at.session_state["ll_export_model"]

    def contents(archive: zipfile.ZipFile) -> dict[str, str]:
        return {name: hashlib.sha256(archive.read(name)).hexdigest() for name in archive.namelist()}

    with zipfile.ZipFile(out) as cli_zip, zipfile.ZipFile(io.BytesIO(page["bytes"])) as page_zip:
        assert contents(cli_zip) == contents(page_zip)


def test_cli_export_model_refusals(modelled, tmp_path, capsys):
    coldstart = publish_version(modelled.db, kind="coldstart", strategy="kmeans", scores=[])
    assert main(["export", "--project", str(modelled.path), "--model", "--out", str(tmp_path / "m.zip"),
                 "--version", str(coldstart)]) == 1
    assert "holds no model" in capsys.readouterr().err
    assert main(["export", "--project", str(modelled.path), "--model", "--out", str(tmp_path / "m.zip"),
                 "--version", "999"]) == 1
    assert "no published version 999" in capsys.readouterr().err
    assert main(["export", "--project", str(modelled.path), "--model", "--raw", "--out", str(tmp_path / "m.zip")]) == 1
    assert main(["export", "--project", str(modelled.path), "--model", "--out",
                 str(tmp_path / "missing" / "m.zip")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 2 and "no such folder" in err
    assert not list(tmp_path.glob("*.zip"))


def test_stats_json_model_exported_is_measured_on_the_artifact(modelled, tmp_path, capsys):
    assert main(["stats", "--project", str(modelled.path), "--json"]) == 0
    model = json.loads(capsys.readouterr().out)["model"]
    exported = model["exported"]
    assert set(exported) >= {"version", "kind", "accuracy", "macro_f1", "n_eval"}
    assert exported["version"] == modelled.version and exported["n_eval"] == 9
    folder = unzip(zip_model(modelled, tmp_path / "m.zip"), tmp_path / "m")
    eval_texts, eval_labels = zip(*modelled.evals)
    accuracy = np.mean([a["label"] == y for a, y in zip(pipeline_of(folder)(list(eval_texts)), eval_labels)])
    assert exported["accuracy"] == pytest.approx(accuracy, abs=1e-4)
