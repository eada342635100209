"""annotator.io.writers: a CSV cell reads back whatever it holds, and never runs as a formula."""

from __future__ import annotations

from annotator.io.cells import neutralise_cell
from annotator.io.readers import read_records
from annotator.io.writers import write_rows
from tests.helpers.files import spreadsheet_cells


def test_csv_writer_reads_back_whatever_a_cell_holds(tmp_path):
    """Every C0 control (NUL included), C1 and Unicode line separator, alone and around formula characters."""
    import pandas as pd

    specials = [chr(code) for code in range(32)] + ["\x7f", "\x85", "\u2028", "\u2029", '"', "'", ","]
    texts = [f"a{char}b" for char in specials] + [f"{char}=1+1" for char in specials] + [f"x{char}" for char in specials]
    out = tmp_path / "cells.csv"
    write_rows([{"n": i, "text": text} for i, text in enumerate(texts)], out, "csv", ["n", "text"])
    rows = spreadsheet_cells(out)
    assert [row[1] for row in rows[1:]] == [neutralise_cell(text) for text in texts]
    assert rows[1 + texts.index("'=1+1")][1] == "''=1+1"  # a quote the text holds is kept
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(frame["text"]) == [row[1] for row in rows[1:]]
    assert list(frame["n"]) == [str(i) for i in range(len(texts))]
    read = read_records(out, exported_headers=[("n", "text")]).rows
    assert [row["text"] for row in read] == texts


def test_csv_cells_writes_every_value_as_csv_cell_does():
    """The per-file fast path (type checks, lists of texts reused) gives what csv_cell gives, cell by cell."""
    from annotator.io.writers import CsvCells, csv_cell

    values = [None, "", "plain", "=1+1", "'=x", "''@y", "'quoted", "-3", True, False, 0, 1, -2.5, float("nan"),
              ["ann"], ["ann"], ["a", "b"], [True], [1], [1.0], [["nested"]], [{"k": 1}], {"k": [1, 2]},
              [], ("tuple",), b"bytes"]
    cells = CsvCells()
    for value in values + values:  # the second pass reads reused lists
        expected = csv_cell(value)
        got = cells(value)
        assert got == expected or (got != got and expected != expected), value  # nan is itself
        assert type(got) is type(expected), value
