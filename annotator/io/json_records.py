"""JSON Lines and JSON array files as record streams (see :mod:`annotator.io.readers`).

Each object is bounded before it is decoded: a JSON line by its length (read
with a limit, so a gigabyte line is refused after ``max_row_chars``), an item
of a JSON array by a scan of its brackets that stops at the size or nesting
limit. Decoding problems Python raises as other exceptions (a nesting deeper
than the interpreter's stack, an integer longer than ``int`` reads) are
one-line InputErrors like any malformed JSON.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from annotator.errors import InputError
from annotator.io.limits import ReadLimits, nesting_depth, too_many_columns
from annotator.io.readers import BoundedLines, RecordStream, RecordTooLong, Row, open_text, too_long, undecodable

_DECODER = json.JSONDecoder()
# a string token or a bracket; possessive, so a long string with many escapes keeps no backtracking state
_STRUCTURE = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+"|[\[\]{}]', re.DOTALL)
_SPACE = re.compile(r"[ \t\n\r]*")


def jsonl_stream(path: Path, name: str, limits: ReadLimits) -> RecordStream:
    handle = open_text(path, name, newline="\n")  # a JSON line ends at "\n" only
    stream = RecordStream(path, name, "jsonl", [], limits)
    stream._rows = _jsonl_rows(stream, handle)
    return stream


def _jsonl_rows(stream: RecordStream, handle: Any) -> Iterator[tuple[str, Row]]:
    lines = BoundedLines(handle, stream.limits.max_row_chars)
    known: set[str] = set()
    number = 0
    with handle:
        while True:
            place = f"line {number + 1}"
            try:
                line = next(lines, None)
            except RecordTooLong:
                raise too_long(stream.name, place, stream.limits) from None
            except UnicodeDecodeError:
                raise undecodable(stream.path, stream.name, "jsonl") from None
            lines.next_record()
            if line is None:
                return
            number += 1
            if not line.strip():
                continue
            item = decode(line, stream, place)
            yield place, checked_object(item, stream, place, known)


def json_array_stream(path: Path, name: str, limits: ReadLimits) -> RecordStream:
    with open_text(path, name, newline="") as handle:
        try:
            text = handle.read()  # bounded by the file size check
        except UnicodeDecodeError:
            raise undecodable(path, name, "json") from None
    stream = RecordStream(path, name, "json", [], limits)
    start = _SPACE.match(text).end()
    if not text.startswith("[", start):
        raise InputError(f"{name}: expected a JSON array of objects, got {_kind_at(text, start)}")
    stream._rows = _array_items(stream, text, start + 1)
    return stream


def _array_items(stream: RecordStream, text: str, position: int) -> Iterator[tuple[str, Row]]:
    known: set[str] = set()
    position = _SPACE.match(text, position).end()
    if text.startswith("]", position):
        _check_end(stream, text, position + 1)
        return
    number = 0
    while True:
        number += 1
        place = f"item {number}"
        if text.startswith(("{", "["), position):
            _check_container(stream, text, position, place)
        item, position = decode(text, stream, place, position)
        yield place, checked_object(item, stream, place, known)
        position = _SPACE.match(text, position).end()
        if text.startswith(",", position):
            position = _SPACE.match(text, position + 1).end()
        elif text.startswith("]", position):
            _check_end(stream, text, position + 1)
            return
        else:
            raise _malformed(stream, text, position, "expecting ',' or ']'")


def _check_container(stream: RecordStream, text: str, start: int, place: str) -> None:
    """Refuse the list or object at ``start`` if it is longer or deeper than the limits, before decoding it."""
    limit, depth = stream.limits.max_row_chars, 0
    for match in _STRUCTURE.finditer(text, start):
        if match.end() - start > limit:
            raise too_long(stream.name, place, stream.limits)
        char = text[match.start()]
        if char == '"':
            continue
        depth += 1 if char in "[{" else -1
        if depth > stream.limits.max_depth:
            raise too_deep(stream, place)
        if depth == 0:
            return
    # unbalanced: the decoder reports where


def _check_end(stream: RecordStream, text: str, position: int) -> None:
    position = _SPACE.match(text, position).end()
    if position != len(text):
        raise _malformed(stream, text, position, "extra data after the array")


def _malformed(stream: RecordStream, text: str, position: int, problem: str) -> InputError:
    line = text.count("\n", 0, position) + 1
    column = position - text.rfind("\n", 0, position)
    return InputError(f"{stream.name}: line {line}: malformed JSON ({problem}, column {column})")


def decode(text: str, stream: RecordStream, place: str, position: int | None = None) -> Any:
    """Decode one JSON value (a whole line, or the value at ``position`` with its end); InputError on a problem."""
    try:
        if position is None:
            return _DECODER.decode(text)
        return _DECODER.raw_decode(text, position)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}" if stream.fmt == "json" else place
        raise InputError(f"{stream.name}: {where}: malformed JSON ({error.msg}, column {error.colno})") from None
    except RecursionError:
        raise too_deep(stream, place) from None
    except ValueError as error:  # an integer longer than Python converts
        problem = (f"a number with more than {sys.get_int_max_str_digits():,} digits" if "digits" in str(error)
                   else f"malformed JSON ({str(error).strip().splitlines()[0][:80]})")
        raise stream.error(place, problem) from None


def too_deep(stream: RecordStream, place: str) -> InputError:
    return stream.error(place, f"nested deeper than {stream.limits.max_depth} levels of lists and objects")


def checked_object(item: Any, stream: RecordStream, place: str, known: set[str]) -> Row:
    """``item`` if it is an object within the column and nesting limits; new keys join ``stream.columns``."""
    if not isinstance(item, dict):
        raise stream.error(place, f"expected a JSON object, got {json_type(item)}")
    limits = stream.limits
    if len(item) > limits.max_columns:
        raise too_many_columns(stream.name, place, len(item), limits)
    if nesting_depth(item, limits.max_depth) > limits.max_depth:
        raise too_deep(stream, place)
    new = [key for key in item if key not in known]
    if new:
        if len(known) + len(new) > limits.max_columns:
            raise stream.error(place, f"the file's objects have more than {limits.max_columns:,} different fields")
        known.update(new)
        stream.columns.extend(new)
    return item


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(type(value), "a number")


def _kind_at(text: str, position: int) -> str:
    """What the JSON value starting at ``position`` is, from its first character (nothing is decoded)."""
    first = text[position : position + 1]
    if not first:
        return "an empty file"
    kinds = {"{": "an object", '"': "a string", "t": "a boolean", "f": "a boolean", "n": "null"}
    return kinds.get(first, "a number" if first in "-0123456789" else "something that is not JSON")
