"""A project is a folder: ``project.db`` (SQLite, WAL), ``models/``, ``embeddings/``; its open handle."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from annotator.config import DB_FILENAME, EMBEDDINGS_DIRNAME, MODELS_DIRNAME
from annotator.store import migrations
from annotator.store.connection import close, connect


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

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_database(folder: Path, *, check_same_thread: bool = True) -> Project:
    """Connect to ``folder``'s database (created if missing) and bring its schema up to date."""
    db = connect(folder / DB_FILENAME, check_same_thread=check_same_thread)
    migrations.apply(db)
    return Project(path=folder, db=db)
