"""The demo project: built once from ``sample_data/``, reused afterwards.

* labels billing, shipping, technical, account, feedback;
* the pool: ``support_tickets.csv`` imported without labels (its gold label
  stays in each example's metadata, never shown as a label; its ``channel`` and
  ``received`` columns are shown beside each text: the ``context_columns`` setting);
* the evaluation set: ``support_tickets_eval.csv`` imported with its labels
  (annotator ``gold``) and marked ``is_eval`` so the loop never trains on it;
* the guidelines from ``guidelines.md`` in the ``guidelines`` setting;
* users ``lead`` (lead) and ``annotator``, ``maria``, ``kenji`` (annotators), each
  with a random password made for this project: stored only hashed in the
  database, shown once when the project is created and written to
  ``demo_logins.txt`` in the project folder (mode 0600) so later runs can say
  where they are;
* three days of the team's work (:mod:`annotator.services.demo_history`): labels with
  blind overlap and a few disagreements, flags, comments, a late label, two
  adjudications, all made through the queue's and the Review page's own calls.

A folder that holds a Labelloop project other than the demo is refused (its users
and passwords are not the demo's).

The project is built in a temporary folder next to the target and renamed into
place, so an interrupted first run never leaves half a demo behind.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import annotator
from annotator.errors import ProjectError
from annotator.services.demo_history import History, build_history
from annotator.services.imports import import_file
from annotator.services.labelset import get_labels
from annotator.services.passwords import STRONG, Cost, hash_password, verify_password
from annotator.services.projects import create_project, is_project, open_project
from annotator.services.settings import set_settings
from annotator.store.users import get_user, insert_user

DEMO_LABELS = ["billing", "shipping", "technical", "account", "feedback"]
POOL_FILE = "support_tickets.csv"
EVAL_FILE = "support_tickets_eval.csv"
GUIDELINES_FILE = "guidelines.md"
EVAL_ANNOTATOR = "gold"
DEMO_ROLES = {"lead": "lead", "annotator": "annotator", "maria": "annotator", "kenji": "annotator"}
CONTEXT_COLUMNS = ["channel", "received"]
LOGINS_FILE = "demo_logins.txt"
# What demo projects made by earlier versions used for every install: still accepted
# by such a project until changed, so a run that reuses one warns about them.
OLD_FIXED_PASSWORDS = {"lead": "lead-demo", "annotator": "annotator-demo"}


@dataclass(frozen=True)
class DemoInfo:
    """What the demo project holds."""

    path: Path
    created: bool
    pool: int
    eval: int
    labels: list[str]
    users: list[str]
    logins_file: Path | None  # demo_logins.txt, when it is there
    fixed_password_users: list[str]  # users still on an earlier version's fixed demo password
    history: History | None = None  # what the team's history holds (when created now)


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
    path: str | os.PathLike = "demo_project", *, sample_dir: str | os.PathLike | None = None, cost: Cost = STRONG,
) -> tuple[DemoInfo, dict[str, str]]:
    """Create the demo project at ``path`` the first time; reuse it afterwards.

    Returns what it holds and, when it was created now, the demo users' new
    passwords (name -> password); an empty dict when it was reused. ``cost``: of the
    password hashes (tests use a cheap one).
    """
    folder = Path(path)
    passwords: dict[str, str] = {}
    history = None
    if is_project(folder) and not is_demo_project(folder):
        raise ProjectError(f"{folder} is a Labelloop project but not the demo (it has none of the demo's users); "
                           f"serve it with labelloop serve --project {folder}, or choose another --dir")
    if not is_project(folder):
        if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
            raise ProjectError(f"{folder} exists and is not a Labelloop project; choose another --dir")
        passwords = {name: secrets.token_urlsafe(12) for name in DEMO_ROLES}
        history = _build(folder, Path(sample_dir) if sample_dir is not None else sample_data_dir(), passwords, cost)
        if history is None:
            passwords = {}  # another process built it first: its passwords are in its logins file
    with open_project(folder) as project:
        from annotator.store.reporting import pool_counts

        numbers = pool_counts(project.db)
        users = {name: get_user(project.db, name) for name in DEMO_ROLES}
        info = DemoInfo(
            path=folder,
            created=bool(passwords),
            pool=numbers["pool"],
            eval=numbers["eval"],
            labels=get_labels(project.db),
            users=[name for name, row in users.items() if row],
            logins_file=folder / LOGINS_FILE if (folder / LOGINS_FILE).is_file() else None,
            fixed_password_users=[] if passwords else [
                name for name, row in users.items()
                if row and row["active"] and name in OLD_FIXED_PASSWORDS
                and verify_password(OLD_FIXED_PASSWORDS[name], row["password_hash"])
            ],
            history=history,
        )
    return info, passwords


def is_demo_project(folder: str | os.PathLike) -> bool:
    """Whether ``folder`` holds a demo project: its logins file, or the demo's first two users."""
    folder = Path(folder)
    if (folder / LOGINS_FILE).is_file():
        return True
    with open_project(folder) as project:
        return all(get_user(project.db, name) is not None for name in ("lead", "annotator"))


def _write_logins(path: Path, passwords: dict[str, str]) -> None:
    """``demo_logins.txt``: the demo sign-ins, readable by the owner only (0600)."""
    lines = [
        "# Labelloop demo sign-ins for this project. Keep this file private: anyone who",
        "# can read it can sign in. The database holds only hashes of these passwords;",
        "# change one with: labelloop user passwd NAME --project <this folder>",
        *(f"{name}\t{password}\t({DEMO_ROLES[name]})" for name, password in passwords.items()),
    ]
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def _build(folder: Path, sample_dir: Path, passwords: dict[str, str], cost: Cost) -> History | None:
    """Build the demo at ``folder``; its history, or None when another process built it first (it is reused)."""
    for name in (POOL_FILE, EVAL_FILE, GUIDELINES_FILE):
        if not (sample_dir / name).is_file():
            raise ProjectError(f"demo data not found: {sample_dir / name} is missing")
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        with create_project(staging / "project", DEMO_LABELS) as project:
            columns = _context_columns(sample_dir / POOL_FILE)
            import_file(project, sample_dir / POOL_FILE, text_column="text", id_column="id",
                        context_columns=columns or None)
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
            for name, password in passwords.items():
                insert_user(project.db, name, DEMO_ROLES[name], hash_password(password, cost=cost))
            history = build_history(project, get_labels(project.db))
        _write_logins(staging / "project" / LOGINS_FILE, passwords)
        try:
            if folder.exists():
                folder.rmdir()  # an empty folder, checked by the caller
            os.replace(staging / "project", folder)
        except OSError as error:
            if not is_project(folder):  # else another process built it first: reuse
                raise ProjectError(f"cannot create the demo project at {folder}: {error.strerror or error}") from None
            return None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return history


def _context_columns(pool_file: Path) -> list[str]:
    """The demo's context columns that the sample file has (a smaller sample may have none)."""
    with pool_file.open(encoding="utf-8") as handle:
        header = handle.readline().strip().split(",")
    return [column for column in CONTEXT_COLUMNS if column in header]
