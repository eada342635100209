"""Read a data file into records: CSV, TSV, JSONL, a JSON array or Parquet.

Every problem is an :class:`InputError` of one line naming the file, the place
(``row N`` = 1-based data row for CSV/TSV/Parquet, ``line N`` for JSONL,
``item N`` for a JSON array) and what is wrong. Text files are decoded
strictly as UTF-8 (a byte-order mark is allowed), so undecodable bytes are
refused instead of silently replaced.

Rows are read one at a time (:func:`open_records`), under the limits of
:class:`~annotator.io.limits.ReadLimits`: the file's size is checked before
it is opened, and a record's length before it is parsed, so a hostile file
(ten million columns, a line of a gigabyte) is refused after reading little
more than the limit. :func:`read_records` reads them all into a list.

A cell that Labelloop's CSV writer protected from spreadsheets (``'=x``) is
restored only in a file whose header is one of ``exported_headers``; see
:mod:`annotator.io.cells` for why.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from annotator.errors import InputError, shown
from annotator.io.cells import unneutralise_cell
from annotator.io.formats import EXTENSIONS as _EXTENSIONS
from annotator.io.formats import READ_FORMATS
from annotator.io.limits import DEFAULT_LIMITS, ReadLimits, check_file_size, too_many_columns, too_many_rows

_BOM = b"\xef\xbb\xbf"
_NEWLINE = b"\n"

# csv's own field limit (128 KiB) is below a long document; records are bounded by ReadLimits instead.
csv.field_size_limit(min(2**31 - 1, 1 << 30))

Row = dict[str, Any]


class RecordStream:
    """The rows of one file, read one at a time: iterate for ``(place, row)`` pairs.

    ``columns`` is known when the stream opens for CSV, TSV and Parquet (the
    header); for JSON it grows as objects are read. ``source`` is the
    format's generator of ``(place, row)``. Use as a context manager (or
    call :meth:`close`) so the file is closed when reading stops early.
    """

    def __init__(self, path: Path, name: str, fmt: str, columns: list[str], limits: ReadLimits):
        self.path, self.name, self.fmt, self.columns, self.limits = path, name, fmt, columns, limits
        self.source: Iterator[tuple[str, Row]] = iter(())
        self.handle: Any = None  # the open file, closed with the stream even if reading never started

    def __iter__(self) -> Iterator[tuple[str, Row]]:
        for count, item in enumerate(self.source, start=1):
            if count > self.limits.max_rows:
                raise too_many_rows(self.name, self.limits)
            yield item

    def error(self, place: str, problem: str) -> InputError:
        return InputError(f"{self.name}: {place}: {problem}")

    def close(self) -> None:
        for resource in (self.source, self.handle):
            close = getattr(resource, "close", None)
            if close is not None:
                close()

    def __enter__(self) -> RecordStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@dataclass
class Records:
    """All rows of one file: ``rows[i]`` is a dict of column -> value, ``places[i]`` its location."""

    path: Path
    fmt: str
    columns: list[str]
    rows: list[Row] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    name: str = ""

    def error(self, index: int, problem: str) -> InputError:
        """An InputError for row ``index`` (0-based position in ``rows``)."""
        return InputError(f"{self.name or self.path}: {self.places[index]}: {problem}")

    def __len__(self) -> int:
        return len(self.rows)


def detect_format(path: str | os.PathLike, fmt: str | None = None, name: str | None = None) -> str:
    """The explicit ``fmt`` if given, else the format named by the file extension."""
    if fmt:
        wanted = fmt.strip().lower()
        if wanted not in READ_FORMATS:
            raise InputError(f"unknown format {shown(fmt)}: choose one of {', '.join(READ_FORMATS)}")
        return wanted
    suffix = Path(path).suffix.lower()
    if suffix not in _EXTENSIONS:
        raise InputError(
            f"{name or path}: cannot tell the format from the extension {shown(suffix or '(none)', 20)}; "
            f"pass --format ({', '.join(READ_FORMATS)})"
        )
    return _EXTENSIONS[suffix]


def open_records(
    path: str | os.PathLike,
    fmt: str | None = None,
    *,
    limits: ReadLimits | None = None,
    name: str | None = None,
    exported_headers: Collection[tuple[str, ...]] = (),
) -> RecordStream:
    """Open ``path`` for reading row by row; ``name`` is how messages call the file (default: the path)."""
    path = Path(path)
    name = name or str(path)
    limits = limits or DEFAULT_LIMITS
    wanted = detect_format(path, fmt, name)
    try:
        found = path.is_file()
    except OSError as error:  # a name too long, a folder that cannot be searched
        raise InputError(f"{name}: cannot read: {error.strerror or type(error).__name__}") from None
    if not found:
        raise InputError(f"{name}: no such file")
    check_file_size(path, name, limits)
    if wanted == "parquet":
        from annotator.io.parquet_records import parquet_stream

        return parquet_stream(path, name, limits)
    if wanted in ("jsonl", "json"):
        from annotator.io.json_records import json_array_stream, jsonl_stream

        return (jsonl_stream if wanted == "jsonl" else json_array_stream)(path, name, limits)
    return _delimited_stream(path, name, wanted, limits, exported_headers)


def read_records(path: str | os.PathLike, fmt: str | None = None, **options: Any) -> Records:
    """Parse ``path`` completely (``options`` as for :func:`open_records`); InputError on the first problem."""
    with open_records(path, fmt, **options) as stream:
        records = Records(stream.path, stream.fmt, stream.columns, name=stream.name)
        for place, row in stream:
            records.rows.append(row)
            records.places.append(place)
    records.columns = list(stream.columns)
    return records


# ---------------------------------------------------------------- text files


class RecordTooLong(Exception):
    """Raised inside a parser's line source: the record being read is over its limit."""


class BoundedLines:
    """Lines of a text file for a parser; a record (one line or, in CSV, several) gets ``limit`` characters.

    ``readline`` is given the room left, so an overlong record is refused
    after reading at most ``limit + 1`` characters of it. Call
    :meth:`next_record` after each record the parser returns.
    """

    def __init__(self, handle: TextIO, limit: int):
        self.handle, self.limit, self.used = handle, limit, 0

    def __iter__(self) -> BoundedLines:
        return self

    def __next__(self) -> str:
        line = self.handle.readline(self.limit - self.used + 1)
        if not line:
            raise StopIteration
        self.used += len(line)
        if self.used > self.limit:
            raise RecordTooLong
        return line

    def next_record(self) -> None:
        self.used = 0


def open_text(path: Path, name: str, newline: str) -> TextIO:
    """``path`` as strict UTF-8 text (a byte-order mark is skipped)."""
    try:
        return path.open("r", encoding="utf-8-sig", errors="strict", newline=newline)
    except OSError as error:
        raise InputError(f"{name}: cannot read: {error.strerror or type(error).__name__}") from None


def too_long(name: str, place: str, limits: ReadLimits) -> InputError:
    return InputError(
        f"{name}: {place}: longer than {limits.max_row_chars:,} characters, more than a row may hold "
        f"(texts up to max_text_chars = {limits.max_text_chars:,})"
    )


def undecodable(path: Path, name: str, fmt: str) -> InputError:
    """The error for the file's first byte that is not UTF-8, placed in this format's words."""
    data = path.read_bytes()
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        bad = data[error.start : error.start + 1]
        place = _place_of_byte(fmt, data, error.start)
        return InputError(f"{name}: {place}: undecodable bytes (not UTF-8: byte {bad!r})")
    return InputError(f"{name}: undecodable bytes (not UTF-8)")


def _place_of_byte(fmt: str, data: bytes, offset: int) -> str:
    """Where the byte at ``offset`` lies, in the words this format's errors use."""
    prefix = data[:offset]
    if fmt in ("jsonl", "json"):
        return f"line {prefix.count(_NEWLINE) + 1}"
    # CSV/TSV: parse the valid prefix to count records (a quoted field may span lines).
    text = prefix.decode("utf-8")
    records = sum(1 for row in csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(fmt)) if row)
    at_row_start = text == "" or text.endswith(("\n", "\r"))
    record = records + 1 if at_row_start else records
    return "header" if record <= 1 else f"row {record - 1}"


# ---------------------------------------------------------------- CSV and TSV


def _delimiter(fmt: str) -> str:
    return "\t" if fmt == "tsv" else ","


class _DelimitedSource:
    """Non-blank records of a CSV/TSV file, each bounded, with problems turned into InputErrors."""

    def __init__(self, path: Path, name: str, fmt: str, limits: ReadLimits):
        self.path, self.name, self.fmt, self.limits = path, name, fmt, limits
        self.handle = open_text(path, name, newline="")
        self.lines = BoundedLines(self.handle, limits.max_row_chars)
        self.reader = csv.reader(self.lines, strict=True, delimiter=_delimiter(fmt))

    def next_record(self, place: str, blank: Callable[[list[str]], bool]) -> list[str] | None:
        """The next record that is not ``blank``, or None at the end of the file."""
        while True:
            try:
                row = next(self.reader, None)
            except csv.Error as error:
                raise InputError(f"{self.name}: {place}: malformed {self.fmt.upper()} ({error})") from None
            except RecordTooLong:
                raise too_long(self.name, place, self.limits) from None
            except UnicodeDecodeError:
                raise undecodable(self.path, self.name, self.fmt) from None
            self.lines.next_record()
            if row is None or not blank(row):
                return row


def _blank_header(row: list[str]) -> bool:
    return not any(cell.strip() for cell in row)


def _blank_line(row: list[str]) -> bool:
    return not row or (len(row) == 1 and not row[0].strip())


def _delimited_stream(
    path: Path, name: str, fmt: str, limits: ReadLimits, exported_headers: Collection[tuple[str, ...]]
) -> RecordStream:
    source = _DelimitedSource(path, name, fmt, limits)
    try:
        header = source.next_record("header", _blank_header)
        if header is None:
            raise InputError(f"{name}: the file is empty (no header row)")
        columns = [cell.strip() for cell in header]
        check_header(name, columns, limits)
    except BaseException:
        source.handle.close()
        raise
    stream = RecordStream(path, name, fmt, columns, limits)
    ours = tuple(columns) in {tuple(known) for known in exported_headers}
    stream.source = _delimited_rows(source, columns, unneutralise_cell if ours else None)
    stream.handle = source.handle
    return stream


def _delimited_rows(
    source: _DelimitedSource, columns: list[str], fix: Callable[[str], str] | None
) -> Iterator[tuple[str, Row]]:
    width = len(columns)
    number = 0
    with source.handle:
        while (row := source.next_record(place := f"row {number + 1}", _blank_line)) is not None:
            number += 1
            if len(row) != width:
                raise InputError(f"{source.name}: {place}: has {len(row)} fields, the header has {width}")
            yield place, dict(zip(columns, map(fix, row) if fix else row))


def check_header(name: str, columns: list[str], limits: ReadLimits) -> None:
    """Column names: at most ``max_columns``, each named, none twice."""
    if len(columns) > limits.max_columns:
        raise too_many_columns(name, "header", len(columns), limits)
    seen: set[str] = set()
    for position, column in enumerate(columns, start=1):
        if not column:
            raise InputError(f"{name}: header: column {position} has no name")
        if column in seen:
            raise InputError(f"{name}: header: column {shown(column)} appears twice")
        seen.add(column)
