"""The model zip loads with transformers.pipeline and predicts our label names."""

from __future__ import annotations

import shutil
import zipfile

import pytest

from annotator.errors import ProjectError
from annotator.model_export import archive_name, zip_model
from annotator.store.versions import publish_version

TEXTS = ["the team won the final match", "my phone crashed during the release",
         "our coach watched the league", "the server updated a kernel patch"]
LABELS = ["pos", "neg", "pos", "neg"]


@pytest.fixture(scope="module")
def trained_folder(tiny_model_dir, tmp_path_factory):
    from learner.classifier import TransformerClassifier

    clf = TransformerClassifier(model=str(tiny_model_dir), classes=["pos", "neg", "neutral"], epochs=1,
                                device="cpu", seed=0)
    clf.fit(TEXTS, LABELS)
    return clf.save(tmp_path_factory.mktemp("trained") / "model")


def test_no_finetuned_model_is_a_clear_error(project, tmp_path):
    publish_version(project.db, kind="head", strategy="margin", scores=[])
    with pytest.raises(ProjectError, match="no fine-tuned model yet"):
        zip_model(project, tmp_path / "m.zip")
    assert not (tmp_path / "m.zip").exists()


def test_model_zip_loads_with_pipeline_and_label_names(project, trained_folder, tmp_path):
    from transformers import pipeline

    def prepare(version):
        shutil.copytree(trained_folder, project.models_dir / f"v{version}")
        return f"models/v{version}"

    version = publish_version(project.db, kind="finetune", strategy="margin", scores=[], prepare=prepare)
    out = zip_model(project, tmp_path / "model.zip")
    top = archive_name(project, version)
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        assert f"{top}/config.json" in names
        assert all(name.startswith(f"{top}/") for name in names)
        archive.extractall(tmp_path / "unzipped")
    classify = pipeline("text-classification", model=str(tmp_path / "unzipped" / top), device="cpu")
    predictions = classify(TEXTS)
    assert {p["label"] for p in predictions} <= {"pos", "neg", "neutral"}
    scores = classify(TEXTS[0], top_k=None)
    assert sorted(s["label"] for s in scores) == ["neg", "neutral", "pos"]


def test_export_page_offers_the_model_zip(project, trained_folder, tmp_path, monkeypatch):
    import io

    from streamlit.testing.v1 import AppTest

    from annotator.app import navigation
    from annotator.passwords import hash_password
    from annotator.store.users import add_user

    add_user(project.db, "boss", "lead", hash_password("long-password"))

    def prepare(version):
        shutil.copytree(trained_folder, project.models_dir / f"v{version}")
        return f"models/v{version}"

    version = publish_version(project.db, kind="finetune", strategy="margin", scores=[], prepare=prepare)
    monkeypatch.setenv("LABELLOOP_PROJECT", str(project.path))
    at = AppTest.from_file(str(navigation.PAGES_DIR / "lead_export.py"), default_timeout=60)
    at.session_state["ll_user"] = "boss"
    at.run()
    at.button(key="ll_export_model_prepare").click().run()
    assert not at.exception and not at.error
    prepared = at.session_state["ll_export_model"]
    assert prepared["version"] == version
    with zipfile.ZipFile(io.BytesIO(prepared["bytes"])) as archive:
        assert f"{archive_name(project, version)}/config.json" in archive.namelist()
