"""What a row of an import must hold: a visible text of bounded length, a known label, a short id, bounded metadata.

:class:`RowChecker` turns each row of a :class:`~annotator.io.readers.RecordStream`
into an :class:`ImportItem` (text, its hash, id, metadata as JSON, label) or
raises a one-line InputError naming the row. Items are small (the row's dict
is dropped), so a large file is held once, as the texts it adds.

A text is refused when it is empty or holds only invisible characters
(spaces, zero-width spaces and joiners, direction marks, fillers: nobody can
label what they cannot see), when it is longer than the project's
``max_text_chars``, when it holds a NUL character (a sign of a binary file;
SQLite's text functions stop at it) or a lone surrogate (not Unicode: SQLite
cannot store it). Values kept as metadata are bounded too, because the app
decodes them each time it serves the text.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from typing import Any

from annotator.errors import InputError, LabelSetError, shown
from annotator.io.limits import ReadLimits
from annotator.io.readers import RecordStream
from annotator.services.labelset import did_you_mean
from annotator.store.examples import text_hash

# Characters that show nothing on their own, beyond the Unicode categories of
# controls, format characters and separators: fillers and selectors.
_BLANK_LETTERS = frozenset(
    "\u115f\u1160\u3164\uffa0"  # Hangul fillers
    "\u2800"  # Braille blank
    "\u034f"  # combining grapheme joiner
    "\u17b4\u17b5"  # Khmer inherent vowels
    "\u180b\u180c\u180d\u180f"  # Mongolian variation selectors
    + "".join(chr(code) for code in range(0xFE00, 0xFE10))  # variation selectors
    + "".join(chr(code) for code in range(0xE0100, 0xE01F0))  # variation selectors supplement
)
_BLANK_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})


def _starts_visibly(text: str) -> bool:
    """A cheap sufficient test for a visible text: its first character is a letter or digit
    (none of which is invisible, fillers aside)."""
    first = text[0]
    return first.isalnum() and first not in _BLANK_LETTERS


def is_invisible(text: str) -> bool:
    """True when ``text`` has no character that shows (empty, spaces, zero-width characters, ...)."""
    return all(char in _BLANK_LETTERS or unicodedata.category(char) in _BLANK_CATEGORIES for char in text)


@dataclass(slots=True)
class ImportItem:
    """One unique text of the file."""

    text_hash: str
    text: str
    ext_id: str | None
    meta: str | None
    label: str | None


class RowChecker:
    """Checks the rows of one import against the label set and the limits."""

    def __init__(
        self,
        labelset: list[str],
        text_column: str,
        label_column: str | None,
        id_column: str | None,
        limits: ReadLimits,
        *,
        multi_label: bool = False,
        label_separator: str | None = None,
    ):
        self.multi_label, self.label_separator = multi_label, label_separator
        self.labelset, self.known = labelset, set(labelset)
        self.text_column, self.label_column, self.id_column = text_column, label_column, id_column
        self.limits = limits
        wanted = [("text", text_column), ("label", label_column), ("id", id_column)]
        self.wanted = [(role, name) for role, name in wanted if name]
        self.reserved = {name for _, name in self.wanted}
        # Shown in errors; formatted once here, not for every row.
        self._text_shown = shown(text_column)
        self._id_shown = shown(id_column) if id_column else ""

    def check_columns(self, stream: RecordStream) -> None:
        """A file with a header (CSV, TSV, Parquet) must name every wanted column."""
        if stream.fmt not in ("csv", "tsv", "parquet"):
            return
        for role, name in self.wanted:
            if name not in stream.columns:
                listed = ", ".join(column if len(column) <= 40 else f"{column[:40]}..."
                                   for column in stream.columns[:20])
                more = f" and {len(stream.columns) - 20} more" if len(stream.columns) > 20 else ""
                raise InputError(
                    f"{stream.name}: header: no {role} column {shown(name)} (columns: {listed or 'none'}{more})"
                )

    def item(self, stream: RecordStream, place: str, row: dict[str, Any]) -> ImportItem:
        """The row as an item; InputError (or LabelSetError) naming ``place`` on any problem."""
        for role, name in self.wanted:
            if name not in row:
                raise stream.error(place, f"no {role} field {shown(name)}")
        text = self._text(stream, place, row[self.text_column])
        try:
            digest = text_hash(text)
        except UnicodeEncodeError as error:
            raise stream.error(place, self._surrogate(self.text_column, text[error.start])) from None
        return ImportItem(
            text_hash=digest,
            text=text,
            ext_id=self._id(stream, place, row),
            meta=self._meta(stream, place, row),
            label=self._label(stream, place, row),
        )

    def _text(self, stream: RecordStream, place: str, text: Any) -> str:
        column = self._text_shown
        if not isinstance(text, str):
            raise stream.error(place, f"non-text value in column {column} ({_kind(text)})")
        if not text.strip():
            raise stream.error(place, f"empty text in column {column}")
        if len(text) > self.limits.max_text_chars:
            raise stream.error(
                place, f"the text in column {column} has {len(text):,} characters, more than "
                f"max_text_chars ({self.limits.max_text_chars:,}); shorten it or raise that project setting",
            )
        if not _starts_visibly(text) and is_invisible(text):
            raise stream.error(place, f"empty text in column {column}: it holds only invisible characters "
                               f"(such as zero-width spaces)")
        if "\x00" in text:
            raise stream.error(place, f"the text in column {column} holds a NUL character (is this a binary file?)")
        return text

    def _label(self, stream: RecordStream, place: str, row: dict[str, Any]) -> str | tuple[str, ...] | None:
        if not self.label_column:
            return None
        value = row[self.label_column]
        if value is None:
            return None
        if self.multi_label:
            if isinstance(value, str) and not value.strip():
                return None
            names = label_set_cell(value, self.label_separator)
            if names is None:
                raise stream.error(place, f"column {shown(self.label_column)} holds {_kind(value)}, not a list of "
                                   "labels (a JSON list, or names joined by --label-separator)")
            return tuple(dict.fromkeys(self._known_label(stream, place, name) for name in names))
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise stream.error(place, f"non-text value in column {shown(self.label_column)} ({_kind(value)})")
        value = value.strip()
        if not value:
            return None
        return self._known_label(stream, place, value)

    def _known_label(self, stream: RecordStream, place: str, value: Any) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise stream.error(place, f"non-text label in column {shown(self.label_column)} ({_kind(value)})")
        value = value.strip()
        if value not in self.known:
            raise LabelSetError(
                f"{stream.name}: {place}: label {shown(value)} is not in the label set"
                f"{did_you_mean(value, self.labelset)} ({', '.join(self.labelset)})"
            )
        return value

    def _id(self, stream: RecordStream, place: str, row: dict[str, Any]) -> str | None:
        if not self.id_column:
            return None
        value = row[self.id_column]
        if type(value) is str:  # the common case: a short ASCII id (nothing else to check)
            value = value.strip()
            if value.isascii() and 0 < len(value) <= self.limits.max_id_chars:
                return value
            if not value:
                return None
        column = self._id_shown
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise stream.error(place, f"non-text value in column {column} ({_kind(value)})")
        too_long = f"the id in column {column} is longer than {self.limits.max_id_chars:,} characters"
        if isinstance(value, int) and abs(value).bit_length() > 4 * self.limits.max_id_chars:
            raise stream.error(place, too_long)
        value = str(value).strip()
        if not value:
            return None
        if len(value) > self.limits.max_id_chars:
            raise stream.error(place, too_long)
        self._storable(stream, place, self.id_column, value)
        return value

    def _meta(self, stream: RecordStream, place: str, row: dict[str, Any]) -> str | None:
        meta = {key: value for key, value in row.items() if key not in self.reserved}
        if not meta:
            return None
        encoded = json.dumps(meta, ensure_ascii=False, default=str)
        if len(encoded) > self.limits.max_meta_chars:
            raise stream.error(
                place, f"the other columns hold {len(encoded):,} characters of metadata, more than an import keeps "
                f"({self.limits.max_meta_chars:,}); leave out columns you do not need",
            )
        if not encoded.isascii():  # O(1): only non-ASCII metadata can hold a lone surrogate
            try:
                encoded.encode("utf-8")
            except UnicodeEncodeError:
                for key, value in meta.items():
                    self._storable(stream, place, key, json.dumps({key: value}, ensure_ascii=False, default=str))
        return encoded

    def _storable(self, stream: RecordStream, place: str, column: str, value: str) -> None:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as error:
            raise stream.error(place, self._surrogate(column, value[error.start])) from None

    @staticmethod
    def _surrogate(column: str, char: str) -> str:
        return f"column {shown(column)} holds a lone surrogate ({char!r}), which is not valid Unicode"


def label_set_cell(value: Any, separator: str | None) -> list[Any] | None:
    """The names in one cell of a multi-label import, None when the cell is no list of labels: a list
    (JSONL, JSON, Parquet), a JSON list as text (``["joy", "anger"]``), names joined by ``separator``,
    or one name; an empty list is the empty set, an empty cell no label at all (``[]`` either way)."""
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return [str(value)]
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError:
            return None
        return parsed if isinstance(parsed, list) else None
    if not text:
        return []
    parts = text.split(separator) if separator else [text]
    return [part.strip() for part in parts if part.strip()]


def _kind(value: Any) -> str:
    if value is None:
        return "empty"
    return type(value).__name__
