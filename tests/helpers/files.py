"""Helpers for the foundation tests: writing data files and snapshotting a database."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from annotator.services.projects import Project
from annotator.services.stats import project_stats


def write_csv(path: Path, rows: list[dict[str, Any]], delimiter: str = ",") -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def write_json(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps(rows), encoding="utf-8")
    return path


def write_parquet(path: Path, rows: list[dict[str, Any]]) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


WRITERS = {
    "csv": write_csv,
    "tsv": lambda path, rows: write_csv(path, rows, delimiter="\t"),
    "jsonl": write_jsonl,
    "json": write_json,
    "parquet": write_parquet,
}


def write_rows(folder: Path, fmt: str, rows: list[dict[str, Any]], name: str = "data") -> Path:
    return WRITERS[fmt](folder / f"{name}.{fmt}", rows)


def snapshot(project: Project) -> tuple[dict[str, Any], dict[str, list[tuple]]]:
    """Stats plus every row of every table: equal snapshots mean an unchanged database."""
    tables = [
        row[0]
        for row in project.db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    dump = {name: sorted(project.db.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr) for name in tables}
    return project_stats(project), dump


SAMPLE = [
    {"id": "a1", "text": "The invoice shows a double charge", "label": "neg", "source_app": "mail"},
    {"id": "a2", "text": "Great service, thank you!", "label": "pos", "source_app": "chat"},
    {"id": "a3", "text": "My parcel arrived today", "label": "neutral", "source_app": "chat"},
    {"id": "a4", "text": "Great service,   thank you! ", "label": "neg", "source_app": "mail"},
]


@pytest.fixture
def sample_rows() -> list[dict[str, Any]]:
    """Four rows; the fourth repeats the second's text (other spacing) with another label."""
    return [dict(row) for row in SAMPLE]
