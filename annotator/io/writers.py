"""Write rows (dicts with the same keys) as CSV, JSONL or Parquet.

CSV is opened by spreadsheets, which run a cell starting with ``=``, ``+``,
``-`` or ``@`` (or a tab / carriage return) as a formula. Such a cell is
written with a leading single quote, which spreadsheets show as text. A cell
that already starts with quotes before such a character gets one more quote,
so the reader (:mod:`annotator.io.readers`) can remove exactly one and a CSV
export imports back to the same texts.

Files are written to a temporary name next to the target and renamed, so a
failed export never leaves half a file behind.
"""

from __future__ import annotations

import csv
import json
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from annotator.errors import InputError

WRITE_FORMATS = ("csv", "jsonl", "parquet")

_FORMULA = re.compile(r"^'*[=+\-@\t\r]")


def neutralise_cell(value: Any) -> Any:
    """Prefix a single quote to a text a spreadsheet would run as a formula."""
    if isinstance(value, str) and _FORMULA.match(value):
        return "'" + value
    return value


def write_rows(
    rows: Sequence[dict[str, Any]], path: str | os.PathLike, fmt: str, columns: Sequence[str]
) -> int:
    """Write ``rows`` (only ``columns``, in that order) to ``path``; return the row count."""
    name = (fmt or "").strip().lower()
    if name not in WRITE_FORMATS:
        raise InputError(f"unknown export format {fmt!r}: choose one of {', '.join(WRITE_FORMATS)}")
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path}: is a folder; give a file name")
    if not path.parent.exists():
        raise InputError(f"{path.parent}: no such folder")
    writer = {"csv": _write_csv, "jsonl": _write_jsonl, "parquet": _write_parquet}[name]
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        writer(rows, Path(temporary), list(columns))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return len(rows)


def _write_csv(rows: Sequence[dict[str, Any]], path: Path, columns: list[str]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow([neutralise_cell(name) for name in columns])
        for row in rows:
            writer.writerow([_csv_cell(row.get(name)) for name in columns])


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        value = json.dumps(value, ensure_ascii=False)
    return neutralise_cell(value)


def _write_jsonl(rows: Sequence[dict[str, Any]], path: Path, columns: list[str]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for row in rows:
            item = {name: row.get(name) for name in columns}
            handle.write(json.dumps(item, ensure_ascii=False, default=str))
            handle.write("\n")


def _write_parquet(rows: Sequence[dict[str, Any]], path: Path, columns: list[str]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = {name: [row.get(name) for row in rows] for name in columns}
    arrays = {}
    for name, values in data.items():
        if all(value is None for value in values):
            arrays[name] = pa.array(values, type=pa.string())
        else:
            arrays[name] = pa.array(values)
    pq.write_table(pa.table(arrays), path)
