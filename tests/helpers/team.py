"""A team on a project (a lead, three annotators, their overlapping votes) and texts to import for it."""

from __future__ import annotations

import functools
from pathlib import Path

from annotator.services.imports import import_file
from annotator.services.passwords import hash_password
from annotator.store.examples import ids_by_hash, text_hash
from annotator.store.users import insert_user
from tests.helpers.files import write_csv

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
    insert_user(project.db, LEAD, "lead", password_hash())
    for name in ANNOTATORS:
        insert_user(project.db, name, "annotator", password_hash())


WORDS = {"pos": ["great", "lovely", "happy", "good"], "neg": ["awful", "bad", "sad", "poor"],
         "neutral": ["table", "paper", "chair", "window"]}


def gold(n: int, offset: int = 0) -> list[tuple[str, str]]:
    """n (text, label) pairs whose label follows from their words (learnable by the tiny BERT)."""
    names = list(WORDS)
    rows = []
    for i in range(offset, offset + n):
        label = names[i % 3]
        rows.append((f"note {i}: {WORDS[label][i % 4]} and {WORDS[label][(i // 3) % 4]}", label))
    return rows
