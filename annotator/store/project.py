"""A project is a folder: ``project.db`` (SQLite, WAL), ``models/``, ``embeddings/``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from annotator.config import DB_FILENAME, EMBEDDINGS_DIRNAME, MODELS_DIRNAME, resolve_project_dir
from annotator.errors import ProjectError
from annotator.store import migrations
from annotator.store.connection import close, connect
from annotator.store.settings import add_labels, get_labels


@dataclass
class Project:
    """An open project: its folder and a connection to its database."""

    path: Path
    db: sqlite_utils.Database

    @property
    def db_path(self) -> Path:
        return self.path / DB_FILENAME

    @property
    def models_dir(self) -> Path:
        return self.path / MODELS_DIRNAME

    @property
    def embeddings_dir(self) -> Path:
        return self.path / EMBEDDINGS_DIRNAME

    def close(self) -> None:
        close(self.db)

    def __enter__(self) -> "Project":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def create_project(path: str | os.PathLike, labels: list[str]) -> Project:
    """Make a new project folder with the given ordered label set."""
    folder = Path(path)
    if (folder / DB_FILENAME).exists():
        raise ProjectError(f"{folder} is already a Labelloop project")
    if not labels:
        raise ProjectError("a project needs at least one label (--labels a,b,c)")
    folder.mkdir(parents=True, exist_ok=True)
    project = _open(folder)
    try:
        add_labels(project.db, labels)
    except Exception:
        project.close()
        (folder / DB_FILENAME).unlink(missing_ok=True)
        raise
    return project


def open_project(path: str | os.PathLike | None = None, *, check_same_thread: bool = True) -> Project:
    """Open an existing project (``path`` or ``$LABELLOOP_PROJECT``), migrating its schema."""
    folder = resolve_project_dir(path)
    if not (folder / DB_FILENAME).is_file():
        raise ProjectError(f"{folder} is not a Labelloop project (no {DB_FILENAME}); run labelloop init")
    project = _open(folder, check_same_thread=check_same_thread)
    if not get_labels(project.db):
        project.close()
        raise ProjectError(f"{folder} has an empty label set")
    return project


def _open(folder: Path, *, check_same_thread: bool = True) -> Project:
    db = connect(folder / DB_FILENAME, check_same_thread=check_same_thread)
    migrations.apply(db)
    return Project(path=folder, db=db)
