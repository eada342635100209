"""The file formats Labelloop reads and writes, and the extensions that name them: one registry."""

from __future__ import annotations

READ_FORMATS = ("csv", "tsv", "jsonl", "json", "parquet")
WRITE_FORMATS = ("csv", "jsonl", "parquet")

EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".parquet": "parquet",
    ".pq": "parquet",
}

# What a file picker offers for an import: every extension above, without its dot.
READ_EXTENSIONS = tuple(ext.lstrip(".") for ext in EXTENSIONS)
