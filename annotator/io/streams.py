"""Read texts and write rows in chunks, for files too large to hold in memory (predictions).

:func:`iter_text_chunks` yields ``(ids, texts, done)`` lists of at most
``chunk_size`` rows, read one at a time by :func:`annotator.io.readers.open_records`
under :data:`STREAM_LIMITS` (the per-row limits of an import, but files up to
``max_file_bytes`` and ``max_rows`` far beyond an import's: only one chunk is
ever in memory; ``done`` is the fraction of rows read when the format tells the
total, else of the file's bytes). :class:`StreamWriter` appends rows to a
temporary file next to the target, written exactly as :mod:`annotator.io.writers`
writes an export, and renames it into place when closed without an error, so a
failed run never leaves half a file.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from annotator.errors import InputError
from annotator.io.limits import DEFAULT_LIMITS, MIB, ReadLimits
from annotator.io.readers import open_records
from annotator.io.writers import WRITE_FORMATS, CsvCells, csv_writer, jsonl_line

Chunk = tuple[list[Any], list[str], float]
STREAM_LIMITS = dataclasses.replace(DEFAULT_LIMITS, max_rows=100_000_000, max_file_bytes=64 * 1024 * MIB)


def iter_text_chunks(
    path: str | os.PathLike,
    fmt: str | None = None,
    *,
    text_column: str = "text",
    id_column: str | None = None,
    chunk_size: int = 1000,
    limits: ReadLimits = STREAM_LIMITS,
) -> Iterator[Chunk]:
    """Chunks of (ids, texts, fraction read). Ids are the ``id_column`` values, else row numbers."""
    size = max(os.path.getsize(path), 1) if Path(path).is_file() else 1
    with open_records(path, fmt, limits=limits) as stream:
        ids: list[Any] = []
        texts: list[str] = []
        for number, (place, row) in enumerate(stream, start=1):
            for column in (text_column, id_column):
                if column is not None and column not in row:
                    raise stream.error(place, f"no {column!r} column")
            text = row[text_column]
            if text is None or (isinstance(text, str) and not text.strip()):
                raise stream.error(place, f"empty {text_column!r}")
            ids.append(number if id_column is None else row[id_column])
            texts.append(text if isinstance(text, str) else str(text))
            if len(texts) >= chunk_size:
                yield ids, texts, _done(stream, number, size)
                ids, texts = [], []
        if texts:
            yield ids, texts, 1.0


def _done(stream, rows_read: int, size: int) -> float:
    total = getattr(stream, "total_rows", None)
    if total:
        return min(rows_read / total, 1.0)
    try:
        return min(stream.handle.buffer.tell() / size, 1.0)
    except (AttributeError, OSError, ValueError):
        return 0.0


class StreamWriter:
    """Append rows (dicts with ``columns``) to a CSV, JSONL or Parquet file; atomic on close.

    Use as a context manager: the file appears at ``path`` only if the block ends without error.
    """

    def __init__(self, path: str | os.PathLike, fmt: str, columns: Sequence[str]):
        self.path, self.fmt, self.columns = Path(path), fmt, list(columns)
        if fmt not in WRITE_FORMATS:
            raise InputError(f"unknown output format {fmt!r}: choose one of {', '.join(WRITE_FORMATS)}")
        if self.path.is_dir():
            raise InputError(f"{self.path}: is a folder; give a file name")
        if not self.path.parent.is_dir():
            raise InputError(f"{self.path.parent}: no such folder")
        self.rows = 0
        self._handle = self._csv = self._parquet = None
        self._cell = CsvCells()

    def __enter__(self) -> StreamWriter:
        try:
            handle, name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        except OSError as error:
            raise InputError(f"{self.path.parent}: cannot write here: {error.strerror or error}") from None
        os.close(handle)
        self._tmp = Path(name)
        if self.fmt in ("csv", "jsonl"):
            self._handle = self._tmp.open("w", encoding="utf-8", newline="")
            if self.fmt == "csv":
                self._csv = csv_writer(self._handle, self.columns)
        return self

    def write(self, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        if self.fmt == "csv":
            self._csv.writerows([[self._cell(row.get(c)) for c in self.columns] for row in rows])
        elif self.fmt == "jsonl":
            self._handle.writelines(jsonl_line({c: row.get(c) for c in self.columns}) for row in rows)
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pylist([{c: row.get(c) for c in self.columns} for row in rows])
            if self._parquet is None:
                self._parquet = pq.ParquetWriter(self._tmp, table.schema)
            self._parquet.write_table(table.cast(self._parquet.schema))
        self.rows += len(rows)

    def __exit__(self, kind, error, traceback) -> None:
        try:
            if self._handle is not None:
                self._handle.close()
            if self._parquet is not None:
                self._parquet.close()
            elif self.fmt == "parquet" and kind is None:
                import pyarrow as pa
                import pyarrow.parquet as pq

                pq.write_table(pa.table({c: pa.array([], pa.string()) for c in self.columns}), self._tmp)
            if kind is None:
                os.replace(self._tmp, self.path)
        except OSError as failure:
            if kind is None:
                raise InputError(f"{self.path}: cannot write: {failure.strerror or failure}") from None
        finally:
            self._tmp.unlink(missing_ok=True)
