"""Hostile files (issue 15, item 7): refused after reading little, with one line, and nothing changed.

Memory is measured with tracemalloc (Python's own allocations, deterministic):
a refusal must not build what the file would decode to.
"""

from __future__ import annotations

import json
import tracemalloc

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from annotator.errors import InputError
from annotator.io.limits import ReadLimits
from annotator.services.imports import import_file
from tests.helpers.files import snapshot, write_csv

MB = 1024 * 1024


@pytest.fixture
def seeded(project, tmp_path):
    import_file(project, write_csv(tmp_path / "seed.csv", [{"text": "seed", "label": "pos"}]), label_column="label")
    return project


def refused(project, path, expected: str, **options) -> tuple[str, int]:
    """Import ``path``: the one-line message and the peak of Python memory while refusing it."""
    before = snapshot(project)
    tracemalloc.start()
    try:
        with pytest.raises(InputError) as caught:
            import_file(project, path, **options)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    message = str(caught.value)
    assert "\n" not in message and expected in message, message
    assert snapshot(project) == before
    return message, peak


def test_csv_header_of_200_thousand_columns(seeded, tmp_path):
    """Ten million columns imported before (2.1 GB); the header is refused once it passes a row's length."""
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(200_000)) + ",text\n" + "," * 200_000 + "hello\n")
    _, peak = refused(seeded, path, "wide.csv: header: longer than 1,204,096 characters")
    assert peak < 12 * MB  # the file's header alone is 1.5 MB of text and 200k names


@pytest.mark.parametrize("fmt", ["csv", "tsv", "jsonl", "json"])
def test_more_columns_than_an_import_takes(seeded, tmp_path, fmt):
    names = [f"c{i}" for i in range(1_001)]
    path = tmp_path / f"wide.{fmt}"
    if fmt in ("csv", "tsv"):
        separator = "," if fmt == "csv" else "\t"
        path.write_text(separator.join(["text", *names]) + "\n" + separator.join(["hello"] + ["1"] * 1_001) + "\n")
        place = "header"
    else:
        item = json.dumps({"text": "hello", **dict.fromkeys(names, 1)})
        path.write_text(item + "\n" if fmt == "jsonl" else f"[{item}]")
        place = "line 1" if fmt == "jsonl" else "item 1"
    refused(seeded, path, f"{place}: 1,002 columns, more than an import takes (1,000)")


def test_parquet_with_more_columns_than_an_import_takes(seeded, tmp_path):
    path = tmp_path / "wide.parquet"
    pq.write_table(pa.table({"text": ["hello"], **{f"c{i}": [1] for i in range(1_000)}}), path)
    refused(seeded, path, "header: 1,001 columns, more than an import takes (1,000)")


def test_metadata_larger_than_a_row_keeps(seeded, tmp_path):
    """The app decodes an example's metadata each time it serves the text: it is bounded at import."""
    rows = [{"text": "fine", "notes": "short", "more": ""}, {"text": "hello", "notes": "n" * 60_000, "more": "m" * 60_000}]
    path = write_csv(tmp_path / "meta.csv", rows)
    refused(seeded, path, "row 2: the other columns hold 120,025 characters of metadata, more than an import keeps")


@pytest.mark.parametrize("fmt,place", [("csv", "row 2"), ("jsonl", "line 2"), ("json", "item 2")])
def test_a_row_longer_than_any_valid_row(seeded, tmp_path, fmt, place):
    """One record of 2 MB (a quoted CSV field over many lines, a JSON line, an array item) is not parsed."""
    body = "word\n" * 400_000
    path = tmp_path / f"long.{fmt}"
    if fmt == "csv":
        path.write_text('text\nfine\n"' + body + '"\n')
    elif fmt == "jsonl":
        path.write_text('{"text": "fine"}\n' + json.dumps({"text": body}) + "\n")
    else:
        path.write_text('[{"text": "fine"},\n' + json.dumps({"text": body}) + "]")
    _, peak = refused(seeded, path, f"{place}: longer than 1,204,096 characters")
    assert peak < 12 * MB


def _parquet(path, table, **options):
    pq.write_table(table, path, compression="zstd", **options)
    return path


def test_parquet_dictionary_bomb_is_refused_before_it_inflates(seeded, tmp_path):
    """One 2 MB string stored once and repeated 1000 times: a few hundred bytes that decode to 2 GB."""
    repeated = pa.DictionaryArray.from_arrays(pa.array([0] * 1_000, pa.int32()), pa.array(["x" * 2_000_000]))
    table = pa.table({"text": repeated})
    path = _parquet(tmp_path / "bomb.parquet", table)
    assert path.stat().st_size < 10_000
    _, peak = refused(seeded, path, "bomb.parquet: row 1: holds 1.9 MB once read, more than a row may hold")
    assert peak < 20 * MB


def test_parquet_list_bomb_is_refused_from_its_footer(seeded, tmp_path):
    """A list of a million zeros in one row: run-length encoded to nothing, eight megabytes decoded."""
    path = _parquet(tmp_path / "lists.parquet", pa.table({"text": ["a"], "zeros": [[0] * 1_000_000]}))
    _, peak = refused(seeded, path, "column 'zeros.list.element' holds lists of more than 50,000 values a row")
    assert peak < 4 * MB


def test_parquet_larger_than_an_import_takes_once_decoded(seeded, tmp_path):
    """Rows each within the limits whose total decodes past ``max_file_bytes``: refused batch by batch."""
    texts = pa.array([f"{i} " + "y" * 90_000 for i in range(20)] * 100)
    path = _parquet(tmp_path / "many.parquet", pa.table({"text": texts}), use_dictionary=True)
    limits = ReadLimits(max_file_bytes=4 * MB)
    _, peak = refused(seeded, path, "many.parquet: the data holds", limits=limits)
    assert peak < 40 * MB


def test_parquet_map_column_is_refused(seeded, tmp_path):
    table = pa.table({"text": ["a"], "m": pa.array([[("k", 1)]], type=pa.map_(pa.string(), pa.int64()))})
    refused(seeded, _parquet(tmp_path / "map.parquet", table), "header: column 'm' is of type map<string, int64")


def test_parquet_string_that_is_not_utf8(seeded, tmp_path):
    raw = pa.array([b"fine", b"bad \xff byte"], type=pa.binary()).view(pa.string())
    refused(seeded, _parquet(tmp_path / "bad.parquet", pa.table({"text": raw})), "row 2: undecodable bytes (not UTF-8)")


@pytest.mark.parametrize("fmt", ["csv", "tsv", "jsonl", "json", "parquet"])
def test_more_rows_than_an_import_takes(seeded, tmp_path, fmt):
    from tests.helpers.files import write_rows

    path = write_rows(tmp_path, fmt, [{"text": f"text {i}"} for i in range(11)])
    refused(seeded, path, "more than 10 rows, more than an import takes", limits=ReadLimits(max_rows=10))


def test_file_larger_than_an_import_takes(seeded, tmp_path):
    path = write_csv(tmp_path / "big.csv", [{"text": f"text {i}"} for i in range(200)])
    refused(seeded, path, "big.csv: the file holds 1,", limits=ReadLimits(max_file_bytes=1_000))


def test_json_array_items_read_whole_whatever_their_size(tmp_path):
    """Items are decoded from a window that widens while an item is cut short: sizes around each width."""
    from annotator.io.readers import read_records

    tails = [True, False, None, -1.5e300, 12345678901234567890, "end", [1, [2]], {"k": "}"}]
    items = [
        {"text": "a" * size, "tail": tails[size % len(tails)]}
        for width in (1024, 2048, 4096, 16384, 65536) for size in range(width - 40, width + 40, 3)
    ]
    path = tmp_path / "sizes.json"
    path.write_text(json.dumps(items, indent=None if len(items) % 2 else 1))
    assert read_records(path).rows == items


def test_malformed_item_early_in_a_big_json_array_is_malformed_not_long(seeded, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('[{"text": "a"},\n{"text": tru},\n' + '{"text": "more"},\n' * 50_000 + '{"text": "z"}]')
    refused(seeded, path, "bad.json: line 2: malformed JSON (Expecting value, column 10)")
