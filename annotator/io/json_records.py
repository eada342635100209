"""JSON Lines and JSON array files as record streams (see :mod:`annotator.io.readers`).

Each object is bounded before it is decoded. A JSON line is read with a
limit, so a gigabyte line is refused after ``max_row_chars``. An item of a
JSON array is decoded from a window of the text that starts at the item and
widens (four times each try) while the item is cut short by it, up to
``max_row_chars``: the decoder never sees more than one row may hold, and
copying windows costs about twice the file. Nesting is checked on the
decoded object when its text holds more brackets than ``max_depth``. What
Python raises besides JSON errors (a nesting deeper than the interpreter's
stack, an integer longer than ``int`` reads) is a one-line InputError like
any malformed JSON.
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
_FIRST_WINDOW = 1024
_SPACE = re.compile(r"[ \t\n\r]*")


def jsonl_stream(path: Path, name: str, limits: ReadLimits) -> RecordStream:
    handle = open_text(path, name, newline="\n")  # a JSON line ends at "\n" only
    stream = RecordStream(path, name, "jsonl", [], limits)
    stream.source = _jsonl_rows(stream, handle)
    stream.handle = handle
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
            yield place, checked_object(item, stream, place, known, line.count("{") + line.count("["))


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
    stream.source = _array_items(stream, text, start + 1)
    return stream


def _array_items(stream: RecordStream, text: str, position: int) -> Iterator[tuple[str, Row]]:
    known: set[str] = set()
    position = _SPACE.match(text, position).end()
    if text.startswith("]", position):
        _check_end(stream, text, position + 1)
        return
    number, window = 0, _FIRST_WINDOW
    while True:
        number += 1
        place = f"item {number}"
        item, end = _decode_item(stream, text, position, place, window)
        brackets = text.count("{", position, end) + text.count("[", position, end)
        yield place, checked_object(item, stream, place, known, brackets)
        window = max(_FIRST_WINDOW, 2 * (end - position))
        position = _SPACE.match(text, end).end()
        if text.startswith(",", position):
            position = _SPACE.match(text, position + 1).end()
        elif text.startswith("]", position):
            _check_end(stream, text, position + 1)
            return
        else:
            raise _malformed(stream, text, position, "expecting ',' or ']'")


def _decode_item(stream: RecordStream, text: str, start: int, place: str, window: int) -> tuple[Any, int]:
    """The value at ``start`` and where it ends, decoded from at most ``max_row_chars + 1`` characters."""
    limit = stream.limits.max_row_chars
    while True:
        size = min(window, limit + 1)
        piece = text[start : start + size]
        cut = start + size < len(text)
        try:
            item, end = decode(piece, stream, place, 0)
        except _CutShort as error:
            if not (cut and error.at_the_end(size)):
                raise _malformed(stream, text, start + error.position, error.problem) from None
            if size > limit:
                raise too_long(stream.name, place, stream.limits) from None
            window = 4 * size
            continue
        if cut and end == size:  # a number may go on past the window
            window = 4 * size
            continue
        return item, start + end


class _CutShort(Exception):
    """Decoding a window failed where a longer window might succeed (or where the text is malformed)."""

    def __init__(self, position: int, problem: str):
        super().__init__(problem)
        self.position, self.problem = position, problem

    def at_the_end(self, size: int) -> bool:
        """Whether the window's end may be the cause: an open string, or a failure within a token's length of it."""
        return self.problem.startswith("Unterminated string") or size - self.position <= len("-Infinity")


def _check_end(stream: RecordStream, text: str, position: int) -> None:
    position = _SPACE.match(text, position).end()
    if position != len(text):
        raise _malformed(stream, text, position, "extra data after the array")


def _malformed(stream: RecordStream, text: str, position: int, problem: str) -> InputError:
    line = text.count("\n", 0, position) + 1
    column = position - text.rfind("\n", 0, position)
    return InputError(f"{stream.name}: line {line}: malformed JSON ({problem}, column {column})")


def decode(text: str, stream: RecordStream, place: str, position: int | None = None) -> Any:
    """Decode one JSON value: a whole line, or (with ``position``) the value there and its end.

    A JSON error in an array's window is raised as :class:`_CutShort`, for
    :func:`_decode_item` to widen the window or place the error in the file.
    """
    try:
        if position is None:
            return _DECODER.decode(text)
        return _DECODER.raw_decode(text, position)
    except json.JSONDecodeError as error:
        if position is not None:
            raise _CutShort(error.pos, error.msg) from None
        raise InputError(f"{stream.name}: {place}: malformed JSON ({error.msg}, column {error.colno})") from None
    except RecursionError:
        raise too_deep(stream, place) from None
    except ValueError as error:  # an integer longer than Python converts
        problem = (f"a number with more than {sys.get_int_max_str_digits():,} digits" if "digits" in str(error)
                   else f"malformed JSON ({str(error).strip().splitlines()[0][:80]})")
        raise stream.error(place, problem) from None


def too_deep(stream: RecordStream, place: str) -> InputError:
    return stream.error(place, f"nested deeper than {stream.limits.max_depth} levels of lists and objects")


def checked_object(item: Any, stream: RecordStream, place: str, known: set[str], brackets: int) -> Row:
    """``item`` if it is an object within the column and nesting limits; new keys join ``stream.columns``.

    ``brackets``: how many ``{`` and ``[`` its text holds, at least its depth (so most objects skip the walk).
    """
    if not isinstance(item, dict):
        raise stream.error(place, f"expected a JSON object, got {json_type(item)}")
    limits = stream.limits
    if len(item) > limits.max_columns:
        raise too_many_columns(stream.name, place, len(item), limits)
    if brackets > limits.max_depth and nesting_depth(item, limits.max_depth) > limits.max_depth:
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
