"""A pool to serve: gold-labeled toy texts imported through the importer, and labeling from the queue.

Run as ``python -m tests.helpers.pool PROJECT ANNOTATOR N`` from the repository root it is one
concurrent annotator.
"""

from __future__ import annotations

import json
from pathlib import Path

from annotator.services.imports import import_file
from tests.helpers.files import write_jsonl

WORDS = {
    "pos": ["great", "lovely", "excellent", "happy", "wonderful", "good"],
    "neg": ["awful", "terrible", "bad", "sad", "horrible", "poor"],
    "neutral": ["table", "window", "paper", "street", "chair", "number"],
}


def gold_rows(n: int, seed: int = 0) -> list[dict[str, str]]:
    """n short texts whose label follows from their words (learnable by the tiny BERT)."""
    rows = []
    names = list(WORDS)
    for i in range(n):
        label = names[(i * 7 + seed) % 3]
        words = WORDS[label]
        a, b = words[i % len(words)], words[(i // 3 + 1) % len(words)]
        rows.append({"text": f"item {i} is {a} and {b} really", "label": label})
    return rows


def add_pool(project, tmp_path: Path, rows: list[dict], *, eval_set: bool = False, name: str = "pool") -> None:
    """Import the rows' texts (without labels) into the project's pool."""
    path = write_jsonl(tmp_path / f"{name}.jsonl", [{"text": row["text"]} for row in rows])
    import_file(project, path, eval_set=eval_set)


def label_some(project, rows: list[dict], n: int, annotator: str = "ann") -> None:
    """Label the next n items of the queue as ``annotator``, each with its gold label from ``rows``."""
    from annotator.services import queue

    answers = {r["text"]: r["label"] for r in rows}
    for _ in range(n):
        item = queue.next_item(project, annotator)
        queue.save_label(project, annotator, item.example_id, answers[item.text])


def label_from_queue(project_dir: str, annotator: str, n: int) -> list[int]:
    """Label n items from the queue as one annotator (``label`` = 'pos'); return the served ids."""
    from annotator.services import queue
    from annotator.services.projects import open_project

    served = []
    with open_project(project_dir) as project:
        for _ in range(n):
            item = queue.next_item(project, annotator)
            if item is None:
                break
            served.append(item.example_id)
            queue.save_label(project, annotator, item.example_id, "pos")
    return served


if __name__ == "__main__":  # python -m tests.helpers.pool PROJECT ANNOTATOR N  (a concurrent annotator)
    import sys

    print(json.dumps(label_from_queue(sys.argv[1], sys.argv[2], int(sys.argv[3]))))
