"""The pool: examples with text, metadata, source file and a content hash."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from typing import Any

import sqlite_utils

_SPACES = re.compile(r"\s+")


def text_hash(text: str) -> str:
    """Content hash for de-duplication: NFC, trimmed, runs of whitespace collapsed."""
    normal = _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()[:32]


def get_example(db: sqlite_utils.Database, example_id: int) -> dict[str, Any] | None:
    row = db.execute(
        "SELECT id, ext_id, text, meta, source, is_eval FROM examples WHERE id = ?", (example_id,)
    ).fetchone()
    if row is None:
        return None
    item = dict(zip(("id", "ext_id", "text", "meta", "source", "is_eval"), row))
    item["meta"] = json.loads(item["meta"]) if item["meta"] else {}
    item["is_eval"] = bool(item["is_eval"])
    return item


def count_examples(db: sqlite_utils.Database) -> int:
    return db.execute("SELECT COUNT(*) FROM examples").fetchone()[0]
