"""The demo project: built once from ``sample_data/``, reused afterwards.

* labels billing, shipping, technical, account, feedback;
* the pool: ``support_tickets.csv`` imported without labels (its gold label
  stays in each example's metadata, never shown as a label);
* the evaluation set: ``support_tickets_eval.csv`` imported with its labels
  (annotator ``gold``) and marked ``is_eval`` so the loop never trains on it;
* the guidelines from ``guidelines.md`` in the ``guidelines`` setting;
* users ``lead`` (lead) and ``annotator`` (annotator) with fixed demo passwords.

The project is built in a temporary folder next to the target and renamed into
place, so an interrupted first run never leaves half a demo behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import annotator
from annotator.config import DB_FILENAME
from annotator.errors import ProjectError
from annotator.importer import import_file
from annotator.passwords import hash_password
from annotator.store.examples import count_examples
from annotator.store.project import create_project, open_project
from annotator.store.settings import get_labels, set_settings
from annotator.store.users import add_user, get_user

DEMO_LABELS = ["billing", "shipping", "technical", "account", "feedback"]
POOL_FILE = "support_tickets.csv"
EVAL_FILE = "support_tickets_eval.csv"
GUIDELINES_FILE = "guidelines.md"
EVAL_ANNOTATOR = "gold"
# Demo only: fixed, printed to the user, meant for a local try-out.
DEMO_CREDENTIALS = {"lead": "lead-demo", "annotator": "annotator-demo"}
DEMO_ROLES = {"lead": "lead", "annotator": "annotator"}


@dataclass(frozen=True)
class DemoInfo:
    """What the demo project holds."""

    path: Path
    created: bool
    pool: int
    eval: int
    labels: list[str]
    users: list[str]


def sample_data_dir() -> Path:
    """``sample_data/`` of the repository checkout this package runs from."""
    folder = Path(annotator.__file__).resolve().parent.parent / "sample_data"
    if not (folder / POOL_FILE).is_file():
        raise ProjectError(
            f"demo data not found: {folder / POOL_FILE} is missing "
            "(the demo runs from a checkout of the repository, installed with pip install -e .)"
        )
    return folder


def ensure_demo_project(
    path: str | os.PathLike = "demo_project", *, sample_dir: str | os.PathLike | None = None
) -> tuple[DemoInfo, dict[str, str]]:
    """Create the demo project at ``path`` the first time; reuse it afterwards.

    Returns what it holds and the demo users' credentials (name -> password).
    """
    folder = Path(path)
    created = False
    if not (folder / DB_FILENAME).is_file():
        if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
            raise ProjectError(f"{folder} exists and is not a Labelloop project; choose another --dir")
        _build(folder, Path(sample_dir) if sample_dir is not None else sample_data_dir())
        created = True
    with open_project(folder) as project:
        from annotator.store.stats import counts

        numbers = counts(project.db)
        info = DemoInfo(
            path=folder,
            created=created,
            pool=count_examples(project.db),
            eval=numbers["eval"],
            labels=get_labels(project.db),
            users=[name for name in DEMO_CREDENTIALS if get_user(project.db, name)],
        )
    return info, dict(DEMO_CREDENTIALS)


def _build(folder: Path, sample_dir: Path) -> None:
    for name in (POOL_FILE, EVAL_FILE, GUIDELINES_FILE):
        if not (sample_dir / name).is_file():
            raise ProjectError(f"demo data not found: {sample_dir / name} is missing")
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        with create_project(staging / "project", DEMO_LABELS) as project:
            import_file(project, sample_dir / POOL_FILE, text_column="text", id_column="id")
            import_file(
                project,
                sample_dir / EVAL_FILE,
                text_column="text",
                label_column="label",
                id_column="id",
                annotator=EVAL_ANNOTATOR,
                eval_set=True,
            )
            guidelines = (sample_dir / GUIDELINES_FILE).read_text(encoding="utf-8")
            set_settings(project.db, guidelines=guidelines)
            for name, password in DEMO_CREDENTIALS.items():
                add_user(project.db, name, DEMO_ROLES[name], hash_password(password))
        try:
            if folder.exists():
                folder.rmdir()  # an empty folder, checked by the caller
            os.replace(staging / "project", folder)
        except OSError as error:
            if not (folder / DB_FILENAME).is_file():  # else another process built it first: reuse
                raise ProjectError(f"cannot create the demo project at {folder}: {error.strerror or error}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
