"""Writing data files in every import format, reading a CSV as a spreadsheet would, snapshotting a database."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from annotator.io.cells import FORMULA_START
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
    if getattr(project.db, "dialect", None) == "postgresql":
        tables = project.db.table_names()
    else:
        tables = [
            row[0]
            for row in project.db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
    dump = {name: sorted(project.db.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr) for name in tables}
    return project_stats(project), dump


def spreadsheet_cells(path: Path) -> list[list[str]]:
    """Every cell as Python's csv reads it; none may start as a formula."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    for row in rows:
        for cell in row:
            assert not (cell and cell[0] in FORMULA_START), f"cell runs as a formula: {cell!r}"
    return rows
