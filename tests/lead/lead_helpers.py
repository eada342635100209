"""Helpers for the lead tests (a module name unique across test folders, importable from them)."""

from __future__ import annotations

import csv
import functools
from pathlib import Path

from annotator.importer import import_file
from annotator.store.examples import ids_by_hash, text_hash
from annotator.passwords import hash_password
from annotator.store.labels import add_label
from annotator.store.users import add_user

LEAD = "lead"
ANNOTATORS = ("ann1", "ann2", "ann3")
PASSWORD = "secret-pass-1"

# example index -> {annotator: label}; examples 0..9 of the fixture's pool
VOTES = {
    0: {"ann1": "pos", "ann2": "pos", "ann3": "pos"},
    1: {"ann1": "pos", "ann2": "neg"},                     # disagreement
    2: {"ann1": "neg", "ann2": "neg", "ann3": "neutral"},  # disagreement
    3: {"ann1": "neutral", "ann2": "neutral"},
    4: {"ann1": "neg"},
    5: {"ann2": "pos"},
    6: {"ann3": "neutral", "ann1": "neutral"},
}


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def add_texts(project, texts: list[str], tmp_path: Path, *, eval_set: bool = False) -> list[int]:
    """Import ``texts`` through the importer; return their example ids in order."""
    path = write_csv(tmp_path / f"texts{len(texts)}{int(eval_set)}.csv", [{"text": t} for t in texts])
    import_file(project, path, eval_set=eval_set)
    found = ids_by_hash(project.db.conn, [text_hash(t) for t in texts])
    return [found[text_hash(t)] for t in texts]


@functools.lru_cache(maxsize=1)
def password_hash() -> str:
    """One scrypt hash shared by every test user (hashing is deliberately slow)."""
    return hash_password(PASSWORD)


def add_users(project) -> None:
    add_user(project.db, LEAD, "lead", password_hash())
    for name in ANNOTATORS:
        add_user(project.db, name, "annotator", password_hash())
