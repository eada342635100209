"""Spreadsheet-safe CSV cells: the quote our writer adds, and when our reader removes it.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and,
in some, after a tab, carriage return or line feed) as a formula, so an
export of hostile texts could run commands on the lead's machine. The writer
(:func:`neutralise_cell`) prefixes such a text cell with one single quote,
which spreadsheets show as text; a cell that already starts with quotes
before such a character gets one more, so the quotes a text itself holds are
never lost.

The reader removes that quote again (:func:`unneutralise_cell`) **only in a
file whose header row is exactly one of Labelloop's export headers**, and
there only before a formula character. Why this rule:

* The same bytes mean two things. In our export ``'=x`` is the text ``=x``
  that the writer protected; in a file the user made, ``'=x`` is what the user
  typed (a quote is also how one writes a literal formula in a spreadsheet),
  and removing it would change their text. Only the file can tell which, and
  our exports are recognisable without adding anything to them: their header
  is one the exporter declares (``EXPORT_HEADERS`` in :mod:`annotator.services.exports`).
* Removing one quote always (the old rule) lost a user's own quote; never
  removing it would make our own export come back as a different text (a new
  example, and the label lost from the one it belonged to).
* An invisible marker instead of the quote would round-trip everywhere, but
  every reader (pandas, spreadsheets) would keep a hidden character in the
  text; a marker row or column would break other readers. The quote is what
  spreadsheets and the usual CSV-injection advice expect.
* The cost: a copy of an export whose columns were renamed, removed or added
  is no longer recognised, so its protected cells keep their quote. The
  README says so.

Line breaks inside a cell need no quote of their own: the writer quotes every
text cell (see :mod:`annotator.io.writers`), so a formula character after a
line break stays inside its cell for any CSV reader, and no reader sees a
row start there.
"""

from __future__ import annotations

import re
from typing import Any

FORMULA_START = "=+-@\t\r\n"

_NEEDS_QUOTE = re.compile(rf"^'*[{re.escape(FORMULA_START)}]")
_NEUTRALISED = re.compile(rf"^'+[{re.escape(FORMULA_START)}]")
_RISKY_FIRST = frozenset(FORMULA_START + "'")  # only a text starting with one of these can need the quote


def neutralise_cell(value: Any) -> Any:
    """Prefix a single quote to a text a spreadsheet would run as a formula; other values as they are."""
    if isinstance(value, str) and value[:1] in _RISKY_FIRST and _NEEDS_QUOTE.match(value):
        return "'" + value
    return value


def unneutralise_cell(value: str) -> str:
    """Remove the quote :func:`neutralise_cell` added (call only on cells of our own exports)."""
    return value[1:] if _NEUTRALISED.match(value) else value

