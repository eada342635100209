"""Download the current fine-tuned model as a zip of its transformers folder.

The zip holds one top-level folder, ``<project>-v<N>/``: unzip it and load it
with ``transformers.pipeline("text-classification", model="<project>-v<N>")``;
the predicted labels are the project's label names (the worker saves
``id2label`` with them). Numpy/stdlib only: the app process may call it.
"""

from __future__ import annotations

import os
import re
import zipfile
from pathlib import Path
from typing import Any

from annotator.errors import ProjectError
from annotator.store.project import Project
from annotator.store.versions import get_version, list_versions

STORED_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".onnx")  # already dense: no deflate
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def model_folder(project: Project, version: dict[str, Any]) -> Path:
    """The folder of a fine-tuned version (its ``path`` is relative to the project folder)."""
    path = Path(version["path"])
    return path if path.is_absolute() else project.path / path


def current_finetuned(project: Project) -> dict[str, Any] | None:
    """The newest fine-tuned version whose folder exists, or None before the first fine-tune."""
    for version in reversed(list_versions(project.db)):
        if version["kind"] == "finetune" and version["path"] and (model_folder(project, version) / "config.json").is_file():
            return version
    return None


def archive_name(project: Project, version: int) -> str:
    """``<project folder name>-v<N>``, safe as a file and folder name."""
    stem = _UNSAFE.sub("-", project.path.resolve().name).strip("-.") or "labelloop"
    return f"{stem}-v{int(version)}"


def zip_model(project: Project, out_path: str | os.PathLike, version: int | None = None) -> Path:
    """Write the zip of a fine-tuned version (default: the current one) to ``out_path``.

    Raises ProjectError when there is no fine-tuned model yet. The zip is
    written to a temporary name first and renamed into place.
    """
    chosen = current_finetuned(project) if version is None else get_version(project.db, version)
    if chosen is None or chosen["kind"] != "finetune" or not chosen["path"]:
        which = "no fine-tuned model yet" if version is None else f"version {version} is not a fine-tuned model"
        raise ProjectError(f"{which}: the worker saves one after the first fine-tune")
    folder = model_folder(project, chosen)
    if not (folder / "config.json").is_file():
        raise ProjectError(f"the model folder of version {chosen['version']} is missing: {folder}")
    top = archive_name(project, chosen["version"])
    out = Path(out_path)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    try:
        with zipfile.ZipFile(tmp, "w") as archive:
            for file in sorted(p for p in folder.rglob("*") if p.is_file()):
                method = zipfile.ZIP_STORED if file.suffix in STORED_SUFFIXES else zipfile.ZIP_DEFLATED
                archive.write(file, f"{top}/{file.relative_to(folder).as_posix()}", compress_type=method)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out
