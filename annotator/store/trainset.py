"""The labels the models learn from and are evaluated on, one resolved label per example.

Per example: the current adjudication if there is one, else the most common
current label (ties: the earliest). Evaluation items (``examples.is_eval = 1``)
are returned only by :func:`eval_labels` and are never trained on. A multi-label project's rows
(``label`` NULL: a set, :mod:`annotator.store.label_sets`) are none of these: both of its tiers
(the one-vs-rest head and the sigmoid fine-tune) read its final sets from ``label_sets`` instead.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
import sqlite_utils


def _resolved(db: sqlite_utils.Database, is_eval: int, *, with_text: bool = True) -> list[tuple]:
    text = "e.text" if with_text else "NULL"
    rows = db.execute(
        f"SELECT l.example_id, {text}, l.label, l.kind FROM labels l JOIN examples e ON e.id = l.example_id "
        "WHERE l.superseded = 0 AND e.is_eval = ? AND l.label IS NOT NULL ORDER BY l.example_id, l.created_at, l.id",
        (is_eval,),
    ).fetchall()
    texts: dict[int, str] = {}
    votes: dict[int, list[str]] = defaultdict(list)
    adjudicated: dict[int, str] = {}
    for example_id, text, label, kind in rows:
        texts[example_id] = text
        votes[example_id].append(label)
        if kind == "adjudication":
            adjudicated[example_id] = label
    out = []
    for example_id, labels in votes.items():
        if example_id in adjudicated:
            label = adjudicated[example_id]
        else:
            counts = Counter(labels)
            best = max(counts.values())
            label = next(name for name in labels if counts[name] == best)
        out.append((example_id, texts[example_id], label))
    return out


def resolved_label_pairs(db: sqlite_utils.Database, *, evaluation: bool) -> list[tuple[int, str]]:
    """(example_id, label) of the training (or evaluation) examples, resolved as above, without texts."""
    return [(example_id, label) for example_id, _, label in _resolved(db, int(evaluation), with_text=False)]


def training_labels(db: sqlite_utils.Database) -> list[tuple[int, str, str]]:
    """(example_id, text, label) for every labeled non-evaluation example, by id."""
    return _resolved(db, 0)


def eval_labels(db: sqlite_utils.Database) -> list[tuple[int, str, str]]:
    """(example_id, text, label) for every labeled evaluation example, by id."""
    return _resolved(db, 1)


def max_label_id(db: sqlite_utils.Database) -> int:
    """The newest label row id (0 when none): a watermark for 'labels since'."""
    return db.execute("SELECT COALESCE(MAX(id), 0) FROM labels").fetchone()[0]


def labels_since(db: sqlite_utils.Database, label_id: int) -> int:
    """Label rows saved after the watermark ``label_id`` (annotations, imports, adjudications)."""
    return db.execute("SELECT COUNT(*) FROM labels WHERE id > ?", (label_id,)).fetchone()[0]


def training_labels_since(db: sqlite_utils.Database, label_id: int) -> int:
    """Label rows saved after the watermark on examples that are trained on (never the evaluation set)."""
    return db.execute(
        "SELECT COUNT(*) FROM labels l JOIN examples e ON e.id = l.example_id WHERE l.id > ? AND e.is_eval = 0",
        (label_id,),
    ).fetchone()[0]


def training_examples_per_label(db: sqlite_utils.Database) -> dict[str, int]:
    """Label -> non-evaluation examples holding a current label with that name."""
    return dict(
        db.execute(
            "SELECT l.label, COUNT(DISTINCT l.example_id) FROM labels l JOIN examples e ON e.id = l.example_id "
            "WHERE l.superseded = 0 AND e.is_eval = 0 AND l.label IS NOT NULL GROUP BY l.label"
        ).fetchall()
    )


def eval_labeled_count(db: sqlite_utils.Database) -> int:
    """Evaluation examples holding at least one current label."""
    return db.execute(
        "SELECT COUNT(DISTINCT l.example_id) FROM labels l JOIN examples e ON e.id = l.example_id "
        "WHERE l.superseded = 0 AND e.is_eval = 1"
    ).fetchone()[0]


def current_label_counts(db: sqlite_utils.Database) -> dict[int, int]:
    """example_id -> number of current labels (annotators who labeled it)."""
    return dict(
        db.execute(
            "SELECT example_id, COUNT(*) FROM labels WHERE superseded = 0 GROUP BY example_id"
        ).fetchall()
    )


def pool(db: sqlite_utils.Database) -> tuple[list[int], list[str], list[bool]]:
    """All examples by id: (ids, texts, is_eval flags)."""
    ids, texts, flags = [], [], []
    for example_id, text, is_eval in db.execute("SELECT id, text, is_eval FROM examples ORDER BY id"):
        ids.append(example_id)
        texts.append(text)
        flags.append(bool(is_eval))
    return ids, texts, flags


def pool_id_range(db: sqlite_utils.Database) -> tuple[int, int | None]:
    """(number of examples, largest id): enough to tell whether a cached id list is still the pool."""
    count, largest = db.execute("SELECT COUNT(*), MAX(id) FROM examples").fetchone()
    return int(count), largest


def example_ids(db: sqlite_utils.Database) -> np.ndarray:
    """Every example id, ascending, as int64."""
    count = db.execute("SELECT COUNT(*) FROM examples").fetchone()[0]
    return np.fromiter((row[0] for row in db.execute("SELECT id FROM examples ORDER BY id")), dtype=np.int64,
                       count=count)


def eval_ids(db: sqlite_utils.Database) -> np.ndarray:
    """Ids of the evaluation set, ascending (a partial index: no pool scan)."""
    return np.asarray([row[0] for row in db.execute(
        "SELECT id FROM examples INDEXED BY examples_eval WHERE is_eval = 1 ORDER BY id")], dtype=np.int64)


def texts_of(db: sqlite_utils.Database, ids) -> list[str]:
    """The texts of ``ids``, in that order (chunked IN queries)."""
    ids = [int(i) for i in ids]
    found: dict[int, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ", ".join("?" * len(chunk))
        found.update(db.execute(f"SELECT id, text FROM examples WHERE id IN ({marks})", chunk).fetchall())
    return [found[i] for i in ids]


def newest_label_time(db: sqlite_utils.Database) -> float | None:
    """When the newest label row was saved (None before any)."""
    return db.execute("SELECT MAX(created_at) FROM labels").fetchone()[0]


def training_class_count(db: sqlite_utils.Database) -> int:
    """Distinct labels among current labels of non-evaluation items (>= 2 to train)."""
    return db.execute(
        "SELECT COUNT(DISTINCT l.label) FROM labels l JOIN examples e ON e.id = l.example_id "
        "WHERE l.superseded = 0 AND e.is_eval = 0"
    ).fetchone()[0]


def pool_page(db: sqlite_utils.Database, after_id: int, limit: int, *, unlabeled_only: bool = True
              ) -> list[tuple[int, str | None, str]]:
    """(example_id, ext_id, text) of up to ``limit`` non-evaluation examples with id > ``after_id``,
    by id; with ``unlabeled_only`` only those without a current label (keyset paging: each page is
    an index range, however large the pool)."""
    unlabeled = ("AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.example_id = e.id AND l.superseded = 0)"
                 if unlabeled_only else "")
    return db.execute(
        f"SELECT e.id, e.ext_id, e.text FROM examples e WHERE e.is_eval = 0 AND e.id > ? {unlabeled} "
        "ORDER BY e.id LIMIT ?",
        (int(after_id), int(limit)),
    ).fetchall()


def count_pool(db: sqlite_utils.Database, *, unlabeled_only: bool = True) -> int:
    """Non-evaluation examples (without a current label, with ``unlabeled_only``)."""
    unlabeled = ("AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.example_id = e.id AND l.superseded = 0)"
                 if unlabeled_only else "")
    return db.execute(f"SELECT COUNT(*) FROM examples e WHERE e.is_eval = 0 {unlabeled}").fetchone()[0]
