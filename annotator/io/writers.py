"""Write rows (dicts with the same keys) as CSV, JSONL or Parquet.

CSV: every text cell is quoted and a text a spreadsheet would run as a
formula gets a leading single quote (:mod:`annotator.io.cells`). Quoting
every text, not only those holding a comma, quote or line feed, is what
keeps a file whole for every reader whatever a text holds: a lone carriage
return (which Python's ``csv`` does not quote when rows end in ``\\n``),
the other line separators some readers split on (``\\v``, ``\\f``,
``\\x1c``-``\\x1e``, U+0085, U+2028, U+2029), NUL and other control
characters, leading or trailing spaces. Numbers stay unquoted; a list
(``tie``, ``annotators``) is a JSON array in its cell.

JSONL: one object a line; besides what JSON escapes itself, U+0085, U+2028
and U+2029 are written as ``\\u`` escapes, so a reader that splits lines on
them still sees one object a line. Parquet: ``list_columns`` are lists of
strings even when every row's value is empty.

Files are written to a temporary name next to the target and renamed, so a
failed export never leaves half a file behind; a target that cannot be
written (no permission, no space, a name too long) is a one-line InputError.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Callable, Collection, Iterable, Sequence
from itertools import islice
from pathlib import Path
from typing import Any

from annotator.errors import InputError
from annotator.io.cells import neutralise_cell
from annotator.io.formats import WRITE_FORMATS

__all__ = ["WRITE_FORMATS", "CsvCells", "csv_cell", "csv_writer", "jsonl_line", "neutralise_cell", "write_csv_cells",
           "write_rows"]


_JSON_LINE_BREAKS = str.maketrans({"\u0085": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def write_rows(
    rows: Sequence[dict[str, Any]],
    path: str | os.PathLike,
    fmt: str,
    columns: Sequence[str],
    *,
    list_columns: Collection[str] = (),
    name: str | None = None,
) -> int:
    """Write ``rows`` (only ``columns``, in that order) to ``path``; return the row count.

    ``name`` is how messages call the file (default: the path; the app passes
    a plain file name so that no server path reaches the browser).
    """
    kind = (fmt or "").strip().lower()
    if kind not in WRITE_FORMATS:
        raise InputError(f"unknown export format {fmt!r}: choose one of {', '.join(WRITE_FORMATS)}")
    if kind == "csv":
        _atomically(path, name, lambda temporary: _write_csv(rows, temporary, list(columns)))
    elif kind == "jsonl":
        _atomically(path, name, lambda temporary: _write_jsonl(rows, temporary, list(columns)))
    else:
        _atomically(path, name, lambda temporary: _write_parquet(rows, temporary, list(columns), list_columns))
    return len(rows)


def write_csv_cells(cells: Iterable[list[Any]], path: str | os.PathLike, columns: Sequence[str], *,
                    name: str | None = None) -> int:
    """Write rows already made into CSV cells (each cell as :func:`csv_cell` makes it) under the
    header ``columns``; return the row count. Same file as :func:`write_rows` would write from the
    rows the cells were made of; for exports that make their cells faster than cell by cell."""
    count = 0

    def write(temporary: Path) -> None:
        nonlocal count
        with temporary.open("w", encoding="utf-8", newline="") as handle:
            writer = csv_writer(handle, columns)
            rows = iter(cells)
            while batch := list(islice(rows, _CSV_BATCH)):
                writer.writerows(batch)
                count += len(batch)

    _atomically(path, name, write)
    return count


def _atomically(path: str | os.PathLike, name: str | None, write: Callable[[Path], None]) -> None:
    """``write`` a temporary file beside ``path``, then rename it to ``path``: never half a file."""
    path = Path(path)
    name = name or str(path)
    temporary = None
    try:
        if path.is_dir():
            raise InputError(f"{name}: is a folder; give a file name")
        if not path.parent.exists():
            raise InputError(f"{name}: no such folder to write it in")
        handle, temporary = tempfile.mkstemp(prefix=".export.", suffix=".tmp", dir=path.parent)
        os.close(handle)
        write(Path(temporary))
        os.replace(temporary, path)
    except OSError as error:
        raise InputError(f"{name}: cannot write: {error.strerror or type(error).__name__}") from None
    finally:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)


def csv_writer(handle, columns: Sequence[str]):
    """A csv writer on ``handle`` (opened with ``newline=""``) that has written the header row."""
    writer = csv.writer(handle, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
    writer.writerow([neutralise_cell(name) for name in columns])
    return writer


def _write_csv(rows: Sequence[dict[str, Any]], path: Path, columns: list[str]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv_writer(handle, columns)
        cell = CsvCells()
        for start in range(0, len(rows), _CSV_BATCH):
            writer.writerows([[cell(row.get(name)) for name in columns] for row in rows[start:start + _CSV_BATCH]])


_CSV_BATCH = 10_000


def csv_cell(value: Any) -> Any:
    """A value as our CSV writes it: texts protected from spreadsheets, lists as JSON, None empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return neutralise_cell(value)


class CsvCells:
    """:func:`csv_cell` for a whole file, faster: the common types are told apart by a type check
    and a list of texts seen before (the annotators of most rows) reuses its JSON."""

    def __init__(self) -> None:
        self._lists: dict[tuple, str] = {}

    def __call__(self, value: Any) -> Any:
        kind = type(value)
        if kind is str:
            return neutralise_cell(value)
        if kind is int or kind is float or kind is bool:
            return csv_cell(value) if kind is bool else value
        if kind is list and len(self._lists) < 10_000 and all(type(item) is str for item in value):
            key = tuple(value)  # texts only: True, 1 and 1.0 would be one key
            text = self._lists.get(key)
            if text is None:
                text = self._lists[key] = csv_cell(value)
            return text
        return csv_cell(value)


def _write_jsonl(rows: Sequence[dict[str, Any]], path: Path, columns: list[str]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for row in rows:
            handle.write(jsonl_line({name: row.get(name) for name in columns}))


def jsonl_line(item: dict[str, Any]) -> str:
    """One JSONL line (with its newline) that no reader splits: U+0085, U+2028, U+2029 escaped."""
    return json.dumps(item, ensure_ascii=False, default=str).translate(_JSON_LINE_BREAKS) + "\n"


def _write_parquet(
    rows: Sequence[dict[str, Any]], path: Path, columns: list[str], list_columns: Collection[str]
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrays = {}
    for name in columns:
        values = [row.get(name) for row in rows]
        if name in list_columns:
            arrays[name] = pa.array(values, type=pa.list_(pa.string()))
        elif all(value is None for value in values):
            arrays[name] = pa.array(values, type=pa.string())
        else:
            arrays[name] = pa.array(values)
    pq.write_table(pa.table(arrays), path)
