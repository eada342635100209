"""How much one import may hold, checked before anything large is materialised.

A hostile or broken file must not exhaust the memory of the process reading
it (the app, on an upload, is the same process that serves annotators), so
every reader checks sizes it can know cheaply before it builds Python
objects: the file's size on disk; the length of a line or CSV record before
it is parsed; a Parquet file's footer (row count, columns, uncompressed size)
and then each batch's decoded size, computed on Arrow's compact form (a
dictionary-encoded column is measured as its repeats will be, not as the
small file stores it). What a row may hold once read (text length, metadata
size, nesting) is checked by the importer against the same limits.

:class:`ReadLimits` holds the limits; ``max_text_chars`` comes from the
project setting of that name, the others are these defaults (a library
caller may pass its own).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from annotator.errors import InputError

MIB = 1024 * 1024
# what a decoded value costs besides its data, about a Python object's overhead
VALUE_BYTES = 16


@dataclass(frozen=True)
class ReadLimits:
    """Limits on one import file; every one is refused with a one-line InputError."""

    max_text_chars: int = 100_000
    """characters in one text (project setting ``max_text_chars``)"""
    max_meta_chars: int = 100_000
    """characters of the other columns of one row, kept as JSON metadata"""
    max_id_chars: int = 1_000
    """characters of one row's id"""
    max_columns: int = 1_000
    """columns of a file (fields of one JSON object; leaf columns of a Parquet file)"""
    max_rows: int = 1_000_000
    """rows (lines, items) of a file"""
    max_file_bytes: int = 256 * MIB
    """size of the file; for Parquet also its uncompressed and its decoded size"""
    max_depth: int = 20
    """nesting of lists and objects in a value"""

    @property
    def max_row_chars(self) -> int:
        """Characters of one raw row (CSV record, JSON line or item) before it is parsed.

        Six times the text and metadata limits: quoting doubles a quote and JSON
        escapes a control character as six characters.
        """
        return 6 * (self.max_text_chars + self.max_meta_chars) + 4096

    @property
    def max_row_bytes(self) -> int:
        """Decoded bytes of one Parquet row: four bytes a character of text and metadata, 16 a column."""
        return 4 * (self.max_text_chars + self.max_meta_chars) + VALUE_BYTES * self.max_columns

    @property
    def max_list_values(self) -> int:
        """Values of a list in one row: each takes at least two characters of the row's metadata."""
        return max(1, self.max_meta_chars // 2)


DEFAULT_LIMITS = ReadLimits()


def check_file_size(path: os.PathLike, name: str, limits: ReadLimits) -> int:
    """The file's size in bytes; InputError when it is over ``max_file_bytes``."""
    try:
        size = os.stat(path).st_size
    except OSError as error:
        raise InputError(f"{name}: cannot read: {error.strerror or type(error).__name__}") from None
    if size > limits.max_file_bytes:
        raise InputError(
            f"{name}: the file holds {megabytes(size)}, more than an import takes "
            f"({megabytes(limits.max_file_bytes)}); split it into smaller files"
        )
    return size


def megabytes(size: int) -> str:
    return f"{size / MIB:.1f} MB" if size >= MIB else f"{size:,} bytes"


def too_many_rows(name: str, limits: ReadLimits) -> InputError:
    return InputError(
        f"{name}: more than {limits.max_rows:,} rows, more than an import takes; split it into smaller files"
    )


def too_many_columns(name: str, place: str, count: int, limits: ReadLimits) -> InputError:
    return InputError(f"{name}: {place}: {count:,} columns, more than an import takes ({limits.max_columns:,})")


def nesting_depth(value: Any, stop: int) -> int:
    """Levels of lists/dicts in ``value`` (a scalar is 0), counting no further than ``stop + 1``.

    Iterative, so a deeply nested value cannot exhaust the interpreter's stack.
    """
    deepest = 0
    pending = [(value, 1)]
    while pending:
        item, level = pending.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if deepest > stop:
            return deepest
        pending.extend((child, level + 1) for child in children)
    return deepest
