"""Parquet files as record streams (see :mod:`annotator.io.readers`), measured before they are decoded.

A small Parquet file can decode to gigabytes: a long value stored once in a
column's dictionary and repeated in every row costs a few bytes per row in
the file and its whole length per row in memory. So nothing is converted to
Python objects before it is measured:

1. the footer (read with caps on its own size): rows, leaf columns, column
   types and nesting, and the uncompressed size of the data;
2. then batch by batch, with text columns read as Arrow dictionaries (each
   distinct value held once), the size every row will have once decoded:
   no row may exceed ``max_row_bytes`` and the file ``max_file_bytes``.

Only then is a batch turned into rows. Map and union columns are refused
(imports keep other columns as JSON metadata, which has no map).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from annotator.errors import InputError
from annotator.io.limits import VALUE_BYTES, ReadLimits, megabytes, too_many_columns, too_many_rows
from annotator.io.readers import RecordStream, Row, check_header

# rows read from the file at once (measured in Arrow's compact form, with text columns as dictionaries)
_BATCH_ROWS = 8192
# of which at most this many bytes are turned into Python objects at once
_SLICE_BYTES = 32 * 1024 * 1024
# fixed-size values wider than this (a 1 MB fixed_size_binary repeated from a dictionary) are refused
_WIDEST_VALUE = 1024


def parquet_stream(path: Path, name: str, limits: ReadLimits) -> RecordStream:
    with _arrow_errors(path, name):
        reader = _open(path, limits)
        footer = reader.metadata
        reader.close()
        schema = footer.schema.to_arrow_schema()
        stream = RecordStream(path, name, "parquet", list(schema.names), limits)
        if footer.num_rows > limits.max_rows:
            raise too_many_rows(name, limits)
        if footer.num_columns > limits.max_columns:
            raise too_many_columns(name, "header", footer.num_columns, limits)
        check_header(name, stream.columns, limits)
        for column in schema:
            problem = _unsupported(column.type, limits.max_depth)
            if problem:
                raise InputError(f"{name}: header: column {column.name!r} is {problem}, which imports do not read")
        _check_sizes(name, footer, limits)
        texts = [
            footer.schema.column(i).path
            for i in range(footer.num_columns)
            if footer.schema.column(i).physical_type == "BYTE_ARRAY"
        ]
        data = _open(path, limits, read_dictionary=texts)
    stream.source = _rows(stream, data)
    stream.handle = data
    stream.total_rows = footer.num_rows  # for progress bars of streaming readers
    return stream


def _check_sizes(name: str, footer: Any, limits: ReadLimits) -> None:
    """The footer's sizes: data once decompressed and decoded (values at eight bytes each), and list lengths."""
    decoded = 0
    for index in range(footer.num_row_groups):
        group = footer.row_group(index)
        for column in range(group.num_columns):
            chunk = group.column(column)
            decoded += max(chunk.total_uncompressed_size, 8 * chunk.num_values)
            if chunk.num_values > max(group.num_rows, 1) * limits.max_list_values:
                raise InputError(
                    f"{name}: column {footer.schema.column(column).path!r} holds lists of more than "
                    f"{limits.max_list_values:,} values a row, more than an import keeps"
                )
    if decoded > limits.max_file_bytes:
        raise _too_big(name, decoded, limits)


def _open(path: Path, limits: ReadLimits, **options: Any):
    import pyarrow.parquet as pq

    return pq.ParquetFile(
        path,
        thrift_string_size_limit=16 * 1024 * 1024,
        thrift_container_size_limit=max(100_000, 10 * limits.max_columns),
        **options,
    )


def _rows(stream: RecordStream, data: Any) -> Iterator[tuple[str, Row]]:
    limits, total, number = stream.limits, 0, 0
    with _arrow_errors(stream.path, stream.name):
        for batch in data.iter_batches(batch_size=_BATCH_ROWS):
            costs = np.zeros(batch.num_rows, dtype=np.int64)
            for column in batch.columns:
                costs += _row_costs(column)
            over = np.flatnonzero(costs > limits.max_row_bytes)
            if over.size:
                row = number + int(over[0]) + 1
                raise stream.error(
                    f"row {row}", f"holds {megabytes(int(costs[over[0]]))} once read, more than a row may hold "
                    f"({megabytes(limits.max_row_bytes)}; texts up to max_text_chars = {limits.max_text_chars:,})"
                )
            total += int(costs.sum())
            if total > limits.max_file_bytes:
                raise _too_big(stream.name, total, limits)
            for row in _python_rows(stream, batch, costs, number):
                number += 1
                yield f"row {number}", row


def _python_rows(stream: RecordStream, batch: Any, costs: np.ndarray, before: int) -> Iterator[Row]:
    """The batch's rows as dicts, converted a slice of at most ``_SLICE_BYTES`` at a time."""
    ends = np.cumsum(costs)
    start = 0
    while start < batch.num_rows:
        reached = int(ends[start - 1]) if start else 0
        end = max(start + 1, int(np.searchsorted(ends, reached + _SLICE_BYTES, side="right")))
        part = batch.slice(start, end - start)
        try:
            rows = _decoded(part).to_pylist()
        except UnicodeDecodeError:
            raise stream.error(f"row {before + start + _first_undecodable(part) + 1}",
                               "undecodable bytes (not UTF-8)") from None
        yield from rows
        start = end


def _decoded(batch: Any) -> Any:
    """``batch`` with its dictionary columns decoded (converting plain arrays to Python is several times faster)."""
    import pyarrow as pa

    columns = [column.dictionary_decode() if isinstance(column, pa.DictionaryArray) else column
               for column in batch.columns]
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)


def _first_undecodable(batch: Any) -> int:
    for offset in range(batch.num_rows):
        try:
            batch.slice(offset, 1).to_pylist()
        except UnicodeDecodeError:
            return offset
    return 0


def _too_big(name: str, size: int, limits: ReadLimits) -> InputError:
    return InputError(
        f"{name}: the data holds {megabytes(size)} once decoded, more than an import takes "
        f"({megabytes(limits.max_file_bytes)}); split it into smaller files"
    )


def _unsupported(kind: Any, depth_left: int) -> str | None:
    """Why a column of Arrow type ``kind`` cannot be read, or None."""
    import pyarrow as pa

    if depth_left < 0:
        return "nested too deeply"
    if pa.types.is_map(kind) or pa.types.is_union(kind):
        return f"of type {kind}"
    if pa.types.is_dictionary(kind):
        return _unsupported(kind.value_type, 0)
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
        return _unsupported(kind.value_type, depth_left - 1)
    if pa.types.is_struct(kind):
        for index in range(kind.num_fields):
            problem = _unsupported(kind.field(index).type, depth_left - 1)
            if problem:
                return problem
        return None
    if _is_text(kind) or pa.types.is_null(kind):
        return None
    try:
        width = kind.bit_width // 8
    except ValueError:
        return f"of type {kind}"
    return f"of type {kind}" if width > _WIDEST_VALUE else None


def _is_text(kind: Any) -> bool:
    import pyarrow as pa

    return pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_binary(kind) \
        or pa.types.is_large_binary(kind)


def _row_costs(array: Any) -> np.ndarray:
    """Bytes each row of ``array`` will take as Python values, computed on Arrow's compact form."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind, rows = array.type, len(array)
    if pa.types.is_dictionary(kind):
        sizes = _row_costs(array.dictionary)
        taken = pc.take(pa.array(sizes), array.indices).fill_null(VALUE_BYTES)
        return taken.to_numpy(zero_copy_only=False).astype(np.int64)
    if _is_text(kind):
        lengths = pc.binary_length(array).fill_null(0).to_numpy(zero_copy_only=False)
        return lengths.astype(np.int64) + VALUE_BYTES
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
        parents = pc.list_parent_indices(array).to_numpy(zero_copy_only=False)
        inner = np.bincount(parents, weights=_row_costs(array.flatten()), minlength=rows)
        return inner.astype(np.int64) + VALUE_BYTES
    if pa.types.is_struct(kind):
        costs = np.full(rows, VALUE_BYTES, dtype=np.int64)
        for child in array.flatten():
            costs += _row_costs(child)
        return costs
    width = 0 if pa.types.is_null(kind) else kind.bit_width // 8
    return np.full(rows, width + VALUE_BYTES, dtype=np.int64)


@contextlib.contextmanager
def _arrow_errors(path: Path, name: str) -> Iterator[None]:
    """Turn what pyarrow raises on a bad or oversized file into a one-line InputError without the path."""
    import pyarrow

    try:
        yield
    except InputError:
        raise
    except MemoryError:
        raise InputError(f"{name}: cannot read Parquet: the data does not fit in memory") from None
    except (pyarrow.ArrowException, OSError, ValueError) as error:
        text = str(error).strip().replace(str(path), name)
        first = text.splitlines()[0] if text else type(error).__name__
        raise InputError(f"{name}: cannot read Parquet: {first}") from None
