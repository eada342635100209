"""Read texts and write rows in chunks, for files too large to hold in memory (predictions).

:func:`iter_text_chunks` yields ``(ids, texts, done)`` lists of at most
``chunk_size`` rows from CSV, TSV, JSONL or Parquet without reading the whole
file (``done`` is the fraction of the file read, for a progress bar; a JSON
array is parsed whole, as the format requires). :class:`StreamWriter` appends
rows to a temporary file next to the target and renames it into place when
closed without an error, so a failed run never leaves half a file.

Problems are one-line :class:`~annotator.errors.InputError` naming the file and
the place (``row N`` for CSV/TSV/Parquet, ``line N`` for JSONL, ``item N`` for
a JSON array).
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from annotator.errors import InputError
from annotator.io.readers import detect_format
from annotator.io.writers import WRITE_FORMATS, neutralise_cell

Chunk = tuple[list[Any], list[str], float]


def iter_text_chunks(
    path: str | os.PathLike,
    fmt: str | None = None,
    *,
    text_column: str = "text",
    id_column: str | None = None,
    chunk_size: int = 1000,
) -> Iterator[Chunk]:
    """Chunks of (ids, texts, fraction read). Ids are the ``id_column`` values, else row numbers."""
    path = Path(path)
    name = detect_format(path, fmt)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    reader = {"csv": _delimited, "tsv": _delimited, "jsonl": _jsonl, "json": _json_array,
              "parquet": _parquet}[name]
    ids: list[Any] = []
    texts: list[str] = []
    done = 0.0
    for place, number, row_id, text, done in reader(path, name, text_column, id_column):
        if text is None or (isinstance(text, str) and not text.strip()):
            raise InputError(f"{path}: {place}: empty {text_column!r}")
        ids.append(number if id_column is None else row_id)
        texts.append(text if isinstance(text, str) else str(text))
        if len(texts) >= chunk_size:
            yield ids, texts, done
            ids, texts = [], []
    if texts:
        yield ids, texts, 1.0


def _require(path: Path, columns: Sequence[str], wanted: list[str | None]) -> None:
    for column in wanted:
        if column is not None and column not in columns:
            raise InputError(f"{path}: no {column!r} column (columns: {', '.join(map(str, columns))[:200]})")


def _delimited(path: Path, fmt: str, text_column: str, id_column: str | None):
    size = max(path.stat().st_size, 1)
    delimiter = "\t" if fmt == "tsv" else ","
    number = 0
    seen = [0]  # characters read so far: the progress (a text file cannot tell() while iterated)

    def counted(handle):
        for line in handle:
            seen[0] += len(line)
            yield line

    try:
        with path.open("r", encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(counted(handle), delimiter=delimiter, strict=True)
            header = next(reader, None)
            if header is None:
                raise InputError(f"{path}: the file is empty (no header row)")
            header = [cell.strip() for cell in header]
            _require(path, header, [text_column, id_column])
            text_at = header.index(text_column)
            id_at = header.index(id_column) if id_column is not None else None
            for row in reader:
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue
                number += 1
                if len(row) != len(header):
                    raise InputError(f"{path}: row {number}: has {len(row)} fields, the header has {len(header)}")
                yield (f"row {number}", number, row[id_at] if id_at is not None else None, row[text_at],
                       min(seen[0] / size, 1.0))
    except UnicodeDecodeError:
        raise InputError(f"{path}: row {number + 1}: undecodable bytes (not UTF-8)") from None
    except csv.Error as error:
        raise InputError(f"{path}: row {number + 1}: malformed {fmt.upper()} ({error})") from None


def _jsonl(path: Path, fmt: str, text_column: str, id_column: str | None):
    size = max(path.stat().st_size, 1)
    read = 0
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            read += len(raw)
            if not raw.strip():
                continue
            try:
                item = json.loads(raw.decode("utf-8-sig" if number == 1 else "utf-8"))
            except UnicodeDecodeError:
                raise InputError(f"{path}: line {number}: undecodable bytes (not UTF-8)") from None
            except (json.JSONDecodeError, RecursionError, ValueError) as error:
                raise InputError(f"{path}: line {number}: malformed JSON ({str(error).splitlines()[0][:80]})") \
                    from None
            if not isinstance(item, dict):
                raise InputError(f"{path}: line {number}: expected a JSON object")
            if text_column not in item or (id_column is not None and id_column not in item):
                missing = text_column if text_column not in item else id_column
                raise InputError(f"{path}: line {number}: no {missing!r} field")
            yield (f"line {number}", number, item.get(id_column) if id_column else None, item[text_column],
                   read / size)


def _json_array(path: Path, fmt: str, text_column: str, id_column: str | None):
    try:
        items = json.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InputError(f"{path}: undecodable bytes (not UTF-8)") from None
    except (json.JSONDecodeError, RecursionError, ValueError) as error:
        raise InputError(f"{path}: malformed JSON ({str(error).splitlines()[0][:80]})") from None
    if not isinstance(items, list):
        raise InputError(f"{path}: expected a JSON array of objects")
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict) or text_column not in item or (id_column and id_column not in item):
            raise InputError(f"{path}: item {number}: expected an object with {text_column!r}")
        yield f"item {number}", number, item.get(id_column) if id_column else None, item[text_column], \
            number / len(items)


def _parquet(path: Path, fmt: str, text_column: str, id_column: str | None):
    import pyarrow
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
        columns = parquet.schema_arrow.names
        _require(path, columns, [text_column, id_column])
        total = max(parquet.metadata.num_rows, 1)
        wanted = [text_column] + ([id_column] if id_column and id_column != text_column else [])
        number = 0
        for batch in parquet.iter_batches(batch_size=1024, columns=wanted):
            data = batch.to_pydict()
            for i, text in enumerate(data[text_column]):
                number += 1
                yield f"row {number}", number, data[id_column][i] if id_column else None, text, number / total
    except (pyarrow.ArrowException, OSError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise InputError(f"{path}: cannot read Parquet: {first}") from None


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

    def __enter__(self) -> "StreamWriter":
        try:
            handle, name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        except OSError as error:
            raise InputError(f"{self.path.parent}: cannot write here: {error.strerror or error}") from None
        os.close(handle)
        self._tmp = Path(name)
        if self.fmt in ("csv", "jsonl"):
            self._handle = self._tmp.open("w", encoding="utf-8", newline="")
            if self.fmt == "csv":
                # "\r\n" ends rows, so a lone "\r" or "\n" inside a cell is quoted too.
                self._csv = csv.writer(self._handle, lineterminator="\r\n")
                self._csv.writerow([neutralise_cell(name) for name in self.columns])
        return self

    def write(self, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        if self.fmt == "csv":
            self._csv.writerows([[_csv_value(row.get(c)) for c in self.columns] for row in rows])
        elif self.fmt == "jsonl":
            for row in rows:
                self._handle.write(json.dumps({c: row.get(c) for c in self.columns}, ensure_ascii=False))
                self._handle.write("\n")
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
        finally:
            self._tmp.unlink(missing_ok=True)


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        value = json.dumps(value, ensure_ascii=False)
    return neutralise_cell(value)
