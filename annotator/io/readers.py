"""Read a data file into records: CSV, TSV, JSONL, a JSON array or Parquet.

Every problem is an :class:`InputError` of one line naming the file, the place
(``row N`` = 1-based data row for CSV/TSV/Parquet, ``line N`` for JSONL,
``item N`` for a JSON array) and what is wrong. Text files are read as bytes
and decoded strictly as UTF-8 (a byte-order mark is allowed), so undecodable
bytes are refused instead of silently replaced.

The whole file is parsed in one pass with the standard library's C parsers
(``csv``, ``json``) or pyarrow; 100k rows take well under a second.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotator.errors import InputError

READ_FORMATS = ("csv", "tsv", "jsonl", "json", "parquet")

_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".parquet": "parquet",
    ".pq": "parquet",
}

# A cell written by annotator.io.writers with a neutralising quote: one quote is removed on read.
_NEUTRALISED = re.compile(r"^'+[=+\-@\t\r]")
_NEUTRALISED_ANYWHERE = re.compile(r"'+[=+\-@\t\r]")

# csv's field limit (128 KiB) is too small for long documents.
csv.field_size_limit(min(2**31 - 1, 1 << 30))


@dataclass
class Records:
    """The rows of one file: ``rows[i]`` is a dict of column -> value, ``places[i]`` its location."""

    path: Path
    fmt: str
    columns: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)
    places: list[str] = field(default_factory=list)

    def error(self, index: int, problem: str) -> InputError:
        """An InputError for row ``index`` (0-based position in ``rows``)."""
        return InputError(f"{self.path}: {self.places[index]}: {problem}")

    def __len__(self) -> int:
        return len(self.rows)


def detect_format(path: str | os.PathLike, fmt: str | None = None) -> str:
    """The explicit ``fmt`` if given, else the format named by the file extension."""
    if fmt:
        name = fmt.strip().lower()
        if name not in READ_FORMATS:
            raise InputError(f"unknown format {fmt!r}: choose one of {', '.join(READ_FORMATS)}")
        return name
    suffix = Path(path).suffix.lower()
    if suffix not in _EXTENSIONS:
        raise InputError(
            f"{path}: cannot tell the format from the extension {suffix or '(none)'!r}; "
            f"pass --format ({', '.join(READ_FORMATS)})"
        )
    return _EXTENSIONS[suffix]


def read_records(path: str | os.PathLike, fmt: str | None = None) -> Records:
    """Parse ``path`` completely; raise InputError (one line) on the first problem."""
    path = Path(path)
    name = detect_format(path, fmt)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if name == "parquet":
        return _read_parquet(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(f"{path}: cannot read: {error.strerror or error}") from None
    text = _decode(path, name, data)
    if name in ("csv", "tsv"):
        return _read_delimited(path, name, text)
    if name == "jsonl":
        return _read_jsonl(path, text)
    return _read_json_array(path, text)


def _decode(path: Path, fmt: str, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        place = _place_of_byte(fmt, data, error.start)
        bad = data[error.start : error.start + 1]
        raise InputError(f"{path}: {place}: undecodable bytes (not UTF-8: byte {bad!r})") from None


def _place_of_byte(fmt: str, data: bytes, offset: int) -> str:
    """Where the byte at ``offset`` lies, in the words this format's errors use."""
    prefix = data[:offset]
    if prefix.startswith(b"\xef\xbb\xbf"):
        prefix = prefix[3:]
    line = prefix.count(b"\n") + 1
    if fmt == "jsonl":
        return f"line {line}"
    if fmt == "json":
        return f"line {line}"
    # CSV/TSV: parse the valid prefix to count records (a quoted field may span lines).
    text = prefix.decode("utf-8")
    records = sum(1 for row in csv.reader(io.StringIO(text, newline=""), **_dialect(fmt)) if row)
    at_row_start = text == "" or text.endswith(("\n", "\r"))
    record = records + 1 if at_row_start else records
    return "header" if record <= 1 else f"row {record - 1}"


def _dialect(fmt: str) -> dict[str, Any]:
    return {"delimiter": "\t" if fmt == "tsv" else ","}


def _unneutralise(value: str) -> str:
    return value[1:] if _NEUTRALISED.match(value) else value


def _read_delimited(path: Path, fmt: str, text: str) -> Records:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True, **_dialect(fmt))
    number = -1  # -1 while reading the header
    try:
        header = next(reader, None)
        while header is not None and not any(cell.strip() for cell in header):
            header = next(reader, None)
        if header is None:
            raise InputError(f"{path}: the file is empty (no header row)")
        columns = [_unneutralise(cell.strip()) for cell in header]
        _check_header(path, columns)
        records = Records(path, fmt, columns)
        width = len(columns)
        # Only a file with a quote before a formula character at a cell start needs unquoting.
        fix = _unneutralise if _NEUTRALISED_ANYWHERE.search(text) else None
        number = 0
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # a blank line
            number += 1
            if len(row) != width:
                raise InputError(
                    f"{path}: row {number}: has {len(row)} fields, the header has {width}"
                )
            records.rows.append(dict(zip(columns, map(fix, row) if fix else row)))
            records.places.append(f"row {number}")
    except csv.Error as error:
        place = "header" if number < 0 else f"row {number + 1}"
        raise InputError(f"{path}: {place}: malformed {fmt.upper()} ({error})") from None
    return records


def _check_header(path: Path, columns: list[str]) -> None:
    seen: set[str] = set()
    for position, name in enumerate(columns, start=1):
        if not name:
            raise InputError(f"{path}: header: column {position} has no name")
        if name in seen:
            raise InputError(f"{path}: header: column {name!r} appears twice")
        seen.add(name)


def _read_jsonl(path: Path, text: str) -> Records:
    records = Records(path, "jsonl", [])
    columns: dict[str, None] = {}
    decode = json.JSONDecoder().decode
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            item = decode(line)
        except json.JSONDecodeError as error:
            raise InputError(f"{path}: line {number}: malformed JSON ({error.msg}, column {error.colno})") from None
        if not isinstance(item, dict):
            raise InputError(f"{path}: line {number}: expected a JSON object, got {_json_type(item)}")
        columns.update(dict.fromkeys(item))
        records.rows.append(item)
        records.places.append(f"line {number}")
    records.columns = list(columns)
    return records


def _read_json_array(path: Path, text: str) -> Records:
    try:
        items = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(
            f"{path}: line {error.lineno}: malformed JSON ({error.msg}, column {error.colno})"
        ) from None
    if not isinstance(items, list):
        raise InputError(f"{path}: expected a JSON array of objects, got {_json_type(items)}")
    records = Records(path, "json", [])
    columns: dict[str, None] = {}
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise InputError(f"{path}: item {number}: expected a JSON object, got {_json_type(item)}")
        columns.update(dict.fromkeys(item))
        records.rows.append(item)
        records.places.append(f"item {number}")
    records.columns = list(columns)
    return records


def _read_parquet(path: Path) -> Records:
    import pyarrow
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
        columns = list(table.column_names)
        _check_header(path, columns)
        rows = table.to_pylist()
    except (pyarrow.ArrowException, OSError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise InputError(f"{path}: cannot read Parquet: {first}") from None
    places = [f"row {number}" for number in range(1, len(rows) + 1)]
    return Records(path, "parquet", columns, rows, places)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), "a number"
    )
