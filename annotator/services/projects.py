"""Creating and opening projects: a folder with ``project.db``, ``models/`` and ``embeddings/``."""

from __future__ import annotations

import os
from pathlib import Path

from annotator.config import DB_FILENAME, MULTI_LABEL_STRATEGY, resolve_project_dir
from annotator.errors import ProjectError
from annotator.services.label_mode import set_label_mode
from annotator.services.labelset import add_labels, get_labels
from annotator.services.settings import set_settings
from annotator.store.project import Project, drop_database, has_database, open_database

__all__ = ["Project", "create_project", "is_project", "open_project"]


def is_project(path: str | os.PathLike) -> bool:
    """The folder holds a project on either backend (``project.db`` or the file naming its PostgreSQL schema)."""
    return has_database(Path(path))


def create_project(path: str | os.PathLike, labels: list[str], *, multi_label: bool = False,
                   database_url: str | None = None) -> Project:
    """Make a new project folder with the given ordered label set (nothing is left on failure);
    ``multi_label``: each text gets a set of labels (fixed for the project's life), ranked by
    ``MULTI_LABEL_STRATEGY`` until someone chooses another strategy; ``database_url``
    (``postgresql://...``): the tables go in a new schema of that database, not in ``project.db``."""
    folder = Path(path)
    if has_database(folder):
        raise ProjectError(f"{folder} is already a Labelloop project")
    if not labels:
        raise ProjectError("a project needs at least one label (--labels a,b,c)")
    folder.mkdir(parents=True, exist_ok=True)
    project = open_database(folder, database_url=database_url)
    try:
        add_labels(project.db, labels)
        set_label_mode(project.db, multi_label)
        if multi_label:
            set_settings(project.db, strategy=MULTI_LABEL_STRATEGY)
    except Exception:
        drop_database(project)
        raise
    return project


def open_project(path: str | os.PathLike | None = None, *, check_same_thread: bool = True) -> Project:
    """Open an existing project (``path`` or ``$LABELLOOP_PROJECT``), migrating its schema."""
    folder = resolve_project_dir(path)
    if not has_database(folder):
        raise ProjectError(f"{folder} is not a Labelloop project (no {DB_FILENAME}); run labelloop init")
    project = open_database(folder, check_same_thread=check_same_thread)
    if not get_labels(project.db):
        project.close()
        raise ProjectError(f"{folder} has an empty label set")
    return project
