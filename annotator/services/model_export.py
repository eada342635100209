"""The model a lead takes away: each version's predictor as a standard transformers folder.

Every published version (after the cold start) holds ONE predictor: the
embedding head over the embeddings of its encoder (the base model, or the
encoder of a fine-tuned version). That predictor ranked the queue, made the
suggestions and was evaluated on the evaluation set; this module writes the
same predictor as a ``BertForSequenceClassification`` folder
(:mod:`learner.export`) that ``transformers.pipeline("text-classification",
model=folder, truncation=True)`` loads with the project's label names.

Folders are built on demand into ``models/export/vN`` (numpy and safetensors
only, about a second; the app process may do it) and reused; only the newest
``KEEP_BUILT`` are kept. ``zip_model`` puts one folder, ``<project>-vN/``, in
a zip. Nothing in a built folder names a path of the machine it was made on.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import zipfile
from pathlib import Path
from typing import Any

from annotator.errors import ProjectError
from annotator.services.integrity import folder_checksums, folder_problem
from annotator.services.label_mode import is_multi_label
from annotator.services.settings import get_settings
from annotator.store.project import Project
from annotator.store.versions import StoredHead, current_version, get_version, list_versions, version_head
from learner.errors import LearnerError

STORED_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".onnx")  # already dense: no deflate
EXPORT_DIRNAME = "export"
KEEP_BUILT = 2
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
LOAD_HINT = 'transformers.pipeline("text-classification", model=FOLDER, truncation=True)'
MULTI_LOAD_HINT = ('transformers.pipeline("text-classification", model=FOLDER, truncation=True, top_k=None) '
                   "(each label's sigmoid score; a label is in the set when its score reaches its threshold, "
                   "label_thresholds in config.json)")


def load_hint(project: Project) -> str:
    """How to load a project's exported model (a multi-label one gives every label's score)."""
    return MULTI_LOAD_HINT if is_multi_label(project.db) else LOAD_HINT


def archive_name(project: Project, version: int) -> str:
    """``<project folder name>-v<N>``, safe as a file and folder name."""
    stem = _UNSAFE.sub("-", project.path.resolve().name).strip("-.") or "labelloop"
    return f"{stem}-v{int(version)}"


def describe_predictor(version: dict[str, Any]) -> str:
    """What a version's figures are of, in words: 'head on the base model' or 'head on fine-tuned v5'."""
    encoder = version.get("encoder_version")
    return "head on the base model" if not encoder else f"head on fine-tuned v{int(encoder)}"


def exportable_version(project: Project, version: int | None = None) -> dict[str, Any]:
    """The version whose predictor is exported: ``version``, or the newest that holds one.

    Raises ProjectError when there is none (only the cold start so far) or
    ``version`` holds no predictor.
    """
    listed = list_versions(project.db)
    damaged = {v["version"]: v["quarantined"] for v in listed if v["quarantined"]}
    if version is not None:
        chosen = get_version(project.db, int(version))
        if chosen is None:
            raise ProjectError(f"no published version {version}")
        if version_head(project.db, chosen["version"]) is None:
            raise ProjectError(f"version {version} holds no model (a cold-start ranking); choose a later one")
        if chosen["encoder_version"] in damaged:
            raise ProjectError(f"version {version} cannot be exported: the model files of version "
                               f"{chosen['encoder_version']} were quarantined ({damaged[chosen['encoder_version']]})")
        return chosen
    for candidate in reversed(listed):
        if candidate["encoder_version"] not in damaged and version_head(project.db, candidate["version"]) is not None:
            return candidate
    raise ProjectError(
        "no model yet: the worker trains the first one once two labels have training examples "
        "(or run labelloop train)"
    )


def quarantined_versions(project: Project) -> list[dict[str, Any]]:
    """Fine-tuned versions whose model files were found damaged, with the reason."""
    return [v for v in list_versions(project.db) if v["quarantined"]]


def export_notice(project: Project) -> str | None:
    """Why the newest version is not the one exported (its encoder was quarantined), or None."""
    current = current_version(project.db)
    if current is None or not current["encoder_version"]:
        return None
    encoder = get_version(project.db, current["encoder_version"])
    if encoder is None or not encoder["quarantined"]:
        return None
    return (f"The newest version (v{current['version']}) cannot be exported: the model files of version "
            f"{encoder['version']} were quarantined ({encoder['quarantined']}). The worker falls back to the "
            "last sound model at its next start.")


def model_classes(project: Project, version: int) -> list[str]:
    """The labels a version's model predicts, in its output order."""
    head = version_head(project.db, version)
    return list(head.classes) if head is not None else []


def base_model_name(setting: str) -> str:
    """The ``model`` setting as a name that means something on another machine (never a local path)."""
    if setting in ("", "default"):
        return "sentence-transformers/all-MiniLM-L6-v2"
    path = Path(setting).expanduser()
    return path.name if path.is_absolute() or path.exists() else setting


def encoder_folder(project: Project, head: StoredHead) -> Path:
    """The folder of the encoder under a head: ``models/vK``, or the base model's own folder."""
    if head.encoder_version:
        folder = project.models_dir / f"v{head.encoder_version}"
        encoder = get_version(project.db, head.encoder_version) or {}
        problem = folder_problem(folder, (encoder.get("metrics") or {}).get("checksums"))
        if problem is not None:
            raise ProjectError(f"the model files of version {head.encoder_version} are unusable ({problem}); "
                               "the worker quarantines them at its next start")
        return folder
    from learner.models import resolve_model  # no torch at import

    source = resolve_model(get_settings(project.db).model)
    if Path(source).is_dir():
        return Path(source)
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(source, local_files_only=True))
    except Exception as error:  # noqa: BLE001 - any hub failure is "not available offline"
        raise ProjectError(f"the base model {source!r} is not available on this machine: {error}") from None


def built_folder(project: Project, version: int) -> Path:
    return project.models_dir / EXPORT_DIRNAME / f"v{int(version)}"


def _metadata(project: Project, version: dict[str, Any], head: StoredHead, name: str) -> dict[str, Any]:
    settings = get_settings(project.db)
    metrics = version.get("metrics") or {}
    return {
        "name": name,
        "version": version["version"],
        "predictor": describe_predictor(version),
        "encoder_version": head.encoder_version,
        "base_model": base_model_name(settings.model),
        "n_labels": version["n_labels"],
        "published_at": version.get("published_at"),
        "evaluation": {k: metrics.get(k) for k in ("accuracy", "macro_f1", "n_eval", "micro_f1", "subset_accuracy")
                       if k in metrics},
        "load": load_hint(project),
    }


def _model_card(meta: dict[str, Any], classes: list[str]) -> str:
    evaluation = meta["evaluation"]
    multi = meta["load"] == MULTI_LOAD_HINT
    if evaluation.get("accuracy") is None:
        figures = "no evaluation set was labeled"
    elif multi:
        figures = (f"micro-F1 {evaluation['micro_f1']:.4f}, macro-F1 {evaluation['macro_f1']:.4f}, subset accuracy "
                   f"{evaluation['subset_accuracy']:.4f} on {evaluation['n_eval']} evaluation texts")
    else:
        figures = (f"accuracy {evaluation['accuracy']:.4f}, macro-F1 {evaluation['macro_f1']:.4f} on "
                   f"{evaluation['n_eval']} evaluation texts")
    kind = ("A multi-label text classifier (`problem_type=\"multi_label_classification\"`: a sigmoid per label; a "
            "label applies when its score reaches its own threshold, `label_thresholds` in config.json)"
            if multi else "A text classifier")
    return (
        f"# {meta['name']}\n\n"
        f"{kind} exported by Labelloop (version {meta['version']}, trained on "
        f"{meta['n_labels']} labels): the embedding head on the encoder's mean-pooled vectors, "
        f"written as a standard `BertForSequenceClassification` with one extra pooling layer.\n\n"
        f"Labels: {', '.join(classes)}.\n\n"
        f"Evaluation (when exported): {figures}.\n\n"
        "Load it with\n\n"
        "```python\n"
        "from transformers import pipeline\n"
        f'classify = pipeline("text-classification", model="{meta["name"]}", truncation=True'
        f'{", top_k=None" if multi else ""})\n'
        "```\n\n"
        f"Base model: {meta['base_model']}.\n"
    )


def build_model_folder(project: Project, version: int | None = None) -> tuple[Path, dict[str, Any]]:
    """The transformers folder of a version's predictor (built if needed) and that version."""
    chosen = exportable_version(project, version)
    head = version_head(project.db, chosen["version"])
    target = built_folder(project, chosen["version"])
    built = read_metadata(target) if (target / "labelloop.json").is_file() else {}
    if built.get("checksums") and folder_problem(target, built["checksums"]) is None:
        return target, chosen
    from learner.export import write_head_classifier

    name = archive_name(project, chosen["version"])
    meta = _metadata(project, chosen, head, name)
    thresholds = None
    if is_multi_label(project.db):  # sigmoid per label; each label's threshold in the config
        by_label = (chosen.get("metrics") or {}).get("thresholds") or {}
        thresholds = [float(by_label.get(name, 0.5)) for name in head.classes]
    try:
        write_head_classifier(
            encoder_folder(project, head), head.coef, head.intercept, head.classes, target,
            max_length=get_settings(project.db).max_length, name=name, metadata=meta,
            readme=_model_card(meta, head.classes), thresholds=thresholds,
        )
    except LearnerError as error:
        raise ProjectError(f"cannot export version {chosen['version']}: {error}") from None
    meta = read_metadata(target)
    meta["checksums"] = {k: v for k, v in folder_checksums(target).items() if k != "labelloop.json"}
    (target / "labelloop.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")
    _prune_built(project, keep=chosen["version"])
    return target, chosen


def _prune_built(project: Project, keep: int) -> None:
    folder = project.models_dir / EXPORT_DIRNAME
    built = sorted(
        (p for p in folder.iterdir() if p.name.startswith("v") and p.name[1:].isdigit()),
        key=lambda p: int(p.name[1:]),
    )
    for old in built[:-KEEP_BUILT]:
        if int(old.name[1:]) != keep:
            shutil.rmtree(old, ignore_errors=True)


def zip_model(project: Project, out_path: str | os.PathLike, version: int | None = None) -> Path:
    """Write the zip of a version's model (default: the current one) to ``out_path``; return it.

    The zip holds one folder, ``<project>-vN/``; it is written under a
    temporary name and renamed into place.
    """
    folder, chosen = build_model_folder(project, version)
    top = archive_name(project, chosen["version"])
    out = Path(out_path)
    if out.is_dir():
        raise ProjectError(f"{out}: is a folder; give a file name")
    if not out.parent.is_dir():
        raise ProjectError(f"{out.parent}: no such folder")
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    try:
        with zipfile.ZipFile(tmp, "w") as archive:
            for file in sorted(p for p in folder.rglob("*") if p.is_file()):
                method = zipfile.ZIP_STORED if file.suffix in STORED_SUFFIXES else zipfile.ZIP_DEFLATED
                archive.write(file, f"{top}/{file.relative_to(folder).as_posix()}", compress_type=method)
        os.replace(tmp, out)
    except OSError as error:
        raise ProjectError(f"{out}: cannot write the zip: {error.strerror or error}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return out


def exported_summary(version: dict[str, Any]) -> dict[str, Any]:
    """``stats["model"]["exported"]``: the figures measured on the built artifact, if measured."""
    measured = (version.get("metrics") or {}).get("exported") or {}
    return {
        "version": version["version"],
        "kind": describe_predictor(version),
        "accuracy": measured.get("accuracy"),
        "macro_f1": measured.get("macro_f1"),
        "n_eval": measured.get("n_eval", 0),
        "measured_at": measured.get("measured_at"),
    }


def record_exported(project: Project, version: int, figures: dict[str, Any]) -> None:
    """Store the figures measured on a version's built artifact in its metrics."""
    from annotator.store.versions import update_metrics

    update_metrics(project.db, version, {"exported": {**figures, "measured_at": time.time()}})


def measurement_due(project: Project, *, need_eval: bool = False) -> int | None:
    """The current version's number when its exported artifact was not yet scored on the current
    evaluation set (None: no model, or already measured). A project without an evaluation set is
    measured once too (recording n_eval 0), which builds the artifact for Export, unless
    ``need_eval``. A multi-label project's version is measured once (the measurement reads single
    labels and finds none, which builds the artifact), not again at every idle moment."""
    from annotator.store.trainset import eval_labeled_count

    version = current_version(project.db)
    if version is None or version_head(project.db, version["version"]) is None:
        return None
    n_eval = eval_labeled_count(project.db)
    measured = (version.get("metrics") or {}).get("exported")
    if is_multi_label(project.db) and measured is not None:
        return None  # the measurement scores single labels (a set's figures are the version's own): once builds it
    if (measured is not None and measured.get("n_eval") == n_eval) or (need_eval and n_eval == 0):
        return None
    return version["version"]


def read_metadata(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "labelloop.json").read_text(encoding="utf-8"))
