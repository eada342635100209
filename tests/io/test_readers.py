"""annotator.io.readers: in a file with an export's header, one neutralising quote comes off."""

from __future__ import annotations

from annotator.io.readers import read_records
from annotator.services.exports import EXPORT_HEADERS, FINAL_COLUMNS


def test_csv_reader_removes_one_neutralising_quote_in_an_export(tmp_path):
    """In a file with an export's header, "'=x" (quote before a formula character) reads as "=x"; other quotes stay."""
    path = tmp_path / "q.csv"
    header = ",".join(FINAL_COLUMNS)
    filler = "," * (len(FINAL_COLUMNS) - 3)
    cells = ["'=x", "''+y", "'plain", "it's"]
    path.write_text(header + "\n" + "".join(f"1,,{cell}{filler}\n" for cell in cells), encoding="utf-8")
    rows = read_records(path, exported_headers=EXPORT_HEADERS).rows
    assert [row["text"] for row in rows] == ["=x", "'+y", "'plain", "it's"]
