"""Reading and writing tabular files: CSV, TSV, JSONL, a JSON array, Parquet.

This package knows file formats only; what a row means (text, label, id) is
decided by :mod:`annotator.services.imports` and :mod:`annotator.services.exports`.
"""

from annotator.io.readers import READ_FORMATS, Records, detect_format, read_records
from annotator.io.writers import WRITE_FORMATS, write_rows

__all__ = ["READ_FORMATS", "WRITE_FORMATS", "Records", "detect_format", "read_records", "write_rows"]
