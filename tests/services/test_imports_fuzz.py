"""Fuzzing import and export with generated hostile files (issue 15).

Three properties, under small limits so that hostile sizes stay small and the
run takes a few seconds (hypothesis, derandomized: the same examples on every
run):

* **refusals are one line and change nothing**: whatever a file holds
  (control and line-separator characters, lone surrogates, other encodings,
  corrupted bytes, too many columns or rows, long texts, deep nesting, long
  integers, Parquet dictionaries that inflate), importing it either succeeds
  or raises a LabelloopError whose message has no line break, and a refused
  import leaves the project's stats and every table exactly as before;
* **the limits hold exactly**: a hostile shape is refused exactly when it
  passes its limit;
* **exports round-trip**: after a successful import, the project's export in
  every format reads back with Python's csv and pandas (CSV: one row per
  example, no cell a spreadsheet would run) and imports, into a fresh project
  and into the same one, to the same final labels and texts.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.errors import LabelloopError
from annotator.io.cells import FORMULA_START
from annotator.io.limits import ReadLimits
from annotator.io.readers import READ_FORMATS
from annotator.services.exports import export, final_labels
from annotator.services.imports import import_file
from annotator.services.projects import create_project
from tests.helpers.files import snapshot

LABELS = ["pos", "=neg", "a|b", "c,d"]
SMALL = ReadLimits(max_text_chars=300, max_meta_chars=600, max_id_chars=40, max_columns=12, max_rows=40,
                   max_file_bytes=256 * 1024, max_depth=6)
FUZZ = settings(max_examples=30, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

HOSTILE_CHARS = ["\r", "\n", "\r\n", "\u2028", "\u2029", "\x85", "\x00", "\x1b", "\t", "\x0b", "\x0c", "\x1c", '"',
                 "'", ",", "=", "+", "-", "@", "|", "\\", "\u200b", "\ufeff", "\u202e", "\ud800", "\udfff",
                 "\U0001f600", "\u0301", " ", "\u3164"]
# texts a project may hold, hostile characters included; and what an import must refuse
pieces = st.one_of(st.sampled_from([c for c in HOSTILE_CHARS if c not in ("\x00", "\ud800", "\udfff")]),
                   st.characters(exclude_categories=("Cs",), exclude_characters="\x00"))
visible = st.characters(categories=("L", "N", "P", "S"), exclude_characters="\u115f\u1160\u3164\uffa0\u2800")
texts = st.one_of(
    st.tuples(st.lists(pieces, max_size=15), visible, st.lists(pieces, max_size=15)).map(
        lambda parts: "".join(parts[0]) + parts[1] + "".join(parts[2])),
    st.sampled_from(["call me back\r=cmd|' /C calc'!A0", "'=already quoted", "x\n=1+1", "-1", "@here", '"']),
    st.builds(lambda n, char: char * n, st.integers(250, 300), st.sampled_from(["x", "é", "\u4e00", "\U0001f600"])),
)
bad_texts = st.one_of(
    st.sampled_from(["", "   ", "\u200b\u2060", "\u3164", "a\x00b", "a\ud800b", "\udfff"]),
    st.builds(lambda n: "y" * n, st.integers(301, 320)),
)
scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30), st.floats(), texts.filter(lambda t: len(t) < 40))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
                      max_leaves=6)
labels = st.one_of(st.sampled_from(LABELS), st.sampled_from([None, ""]))
good_rows = st.fixed_dictionaries(
    {"text": texts, "label": labels},
    optional={"id": st.one_of(st.none(), texts.filter(lambda t: len(t) <= 40), st.integers()), "note": values,
              "extra": texts},
)
bad_rows = st.one_of(
    st.fixed_dictionaries({"text": bad_texts, "label": labels}),
    st.fixed_dictionaries({"text": texts, "label": st.sampled_from(["other", "'=neg", "pos ", 1, 2.5])}),
    st.fixed_dictionaries({"text": texts, "label": labels, "note": st.builds(lambda n: "n" * n, st.integers(600, 700))}),
    st.fixed_dictionaries({"text": texts, "label": labels, "id": st.builds(lambda n: "i" * n, st.integers(41, 50))}),
)
# mostly valid files (so the round trip runs), a quarter of them with one bad row somewhere
rows = st.tuples(st.lists(good_rows, min_size=1, max_size=6), st.one_of(st.none(), st.none(), st.none(), bad_rows),
                 st.integers(0, 6)).map(lambda parts: parts[0] if parts[1] is None
                                        else parts[0][: parts[2]] + [parts[1]] + parts[0][parts[2]:])


# a project per example: in memory where the system offers it (creating one on disk costs ~10 fsyncs)
TMP = "/dev/shm" if Path("/dev/shm").is_dir() else None


@contextmanager
def seeded_project():
    """A project in a fresh folder, already holding two labeled examples (so "unchanged" means something)."""
    with tempfile.TemporaryDirectory(dir=TMP) as folder:
        with create_project(Path(folder) / "p", LABELS) as project:
            seed = Path(folder) / "seed.jsonl"
            seed.write_text('{"text": "seed one", "label": "pos"}\n{"text": "seed two", "label": "a|b"}\n')
            import_file(project, seed, label_column="label")
            yield project, Path(folder)


def import_or_refuse(project, path: Path, **options: Any) -> bool:
    """True if the import succeeded; a refusal must be one line and leave the project as it was."""
    before = snapshot(project)
    try:
        import_file(project, path, **{"label_column": "label", "limits": SMALL, **options})
    except LabelloopError as error:
        message = str(error)
        assert message and "\n" not in message and "Traceback" not in message, message
        message.encode("utf-8")  # printable
        assert snapshot(project) == before, message
        return False
    return True


# ---------------------------------------------------------------- writing generated rows as others would


def write_file(folder: Path, fmt: str, items: list[dict[str, Any]], variant: int) -> Path:
    """``items`` in ``fmt`` the way other tools write it; ``variant`` picks line ends, quoting, BOM."""
    path = folder / f"data.{fmt}"
    columns = list(dict.fromkeys(key for item in items for key in item))
    if fmt == "parquet":
        table = {name: [_plain(item.get(name)) for item in items] for name in columns}
        pq.write_table(pa.table({name: pa.array(column, pa.string()) for name, column in table.items()}), path)
        return path
    if fmt in ("csv", "tsv"):
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, delimiter="," if fmt == "csv" else "\t", lineterminator=["\r\n", "\n"][variant % 2],
                            quoting=[csv.QUOTE_MINIMAL, csv.QUOTE_ALL][variant // 2 % 2])
        writer.writerow(columns)
        writer.writerows([[_cell(item.get(name)) for name in columns] for item in items])
        text = buffer.getvalue()
    elif fmt == "jsonl":
        text = ["\n", "\r\n"][variant % 2].join(json.dumps(item, ensure_ascii=variant % 3 == 0) for item in items)
    else:
        text = json.dumps(items, ensure_ascii=variant % 2 == 0, indent=variant % 3 or None)
    data = text.encode("utf-8", "surrogatepass")  # a lone surrogate becomes bytes that are not UTF-8
    path.write_bytes(b"\xef\xbb\xbf" + data if variant % 5 == 0 else data)
    return path


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def _plain(value: Any) -> str | None:
    """A value as a Parquet string column holds it (Arrow refuses lone surrogates)."""
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value)
    return text.encode("utf-8", "replace").decode("utf-8")


# ---------------------------------------------------------------- the round trip


def check_round_trip(project, folder: Path) -> None:
    """Export in every format; each reads back whole and imports to the same final labels, afresh and here."""
    final = {row["text"]: row["label"] for row in final_labels(project)}
    pool = project.db.execute("SELECT COUNT(*) FROM examples").fetchone()[0]
    with create_project(folder / "fresh", LABELS) as fresh:
        for fmt in ("csv", "jsonl", "parquet"):
            out = folder / f"export.{fmt}"
            assert export(project, out, fmt) == len(final)
            if fmt == "csv":
                check_csv_reading(out, final)
            for target in (fresh, project):  # the csv export fills the fresh project; the others change nothing
                import_file(target, out, label_column="label")
                assert {row["text"]: row["label"] for row in final_labels(target)} == final
        assert fresh.db.execute("SELECT COUNT(*) FROM examples").fetchone()[0] == len(final)
    assert project.db.execute("SELECT COUNT(*) FROM examples").fetchone()[0] == pool


def check_csv_reading(path: Path, final: dict[str, str]) -> None:
    """Python's csv and pandas read one row per example; no cell starts as a spreadsheet formula."""
    import pandas as pd

    with path.open(encoding="utf-8", newline="") as handle:
        table = list(csv.reader(handle))
    assert len(table) == len(final) + 1 and len({len(row) for row in table}) == 1
    assert not [cell for row in table for cell in row if cell[:1] and cell[0] in FORMULA_START]
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert list(frame["text"]) == [row[2] for row in table[1:]]


# ---------------------------------------------------------------- the properties


@settings(FUZZ, max_examples=40)
@given(items=rows, fmt=st.sampled_from(READ_FORMATS), variant=st.integers(0, 29), with_id=st.booleans())
def test_generated_rows_import_or_refuse_and_round_trip(items, fmt, variant, with_id):
    if with_id:
        items = [{**item, "id": item.get("id")} for item in items]
    with seeded_project() as (project, folder):
        path = write_file(folder, fmt, items, variant)
        if import_or_refuse(project, path, id_column="id" if with_id else None):
            check_round_trip(project, folder)


MUTATIONS = [b"\xff", b"\x00", b"\r", b"\n", b'"', b",", b"\t", b"{", b"[", b"]", b"}", b"\\", b"\xed\xa0\x80",
             b"\xef\xbb\xbf", b"\xc3", b"9" * 40, b"\xe2\x80\xa8"]


@FUZZ
@given(items=rows, fmt=st.sampled_from(READ_FORMATS),
       edits=st.lists(st.tuples(st.floats(0, 1), st.sampled_from(MUTATIONS), st.booleans()), min_size=1, max_size=4),
       encoding=st.sampled_from(["utf-8", "utf-8", "utf-16", "utf-16-le", "latin-1", "cp1252"]))
def test_corrupted_bytes_and_other_encodings_import_or_refuse(items, fmt, edits, encoding):
    with seeded_project() as (project, folder):
        path = write_file(folder, fmt, items, 1)
        data = path.read_bytes()
        if encoding != "utf-8" and fmt != "parquet":
            data = data.decode("utf-8", "surrogatepass").encode(encoding, "replace")
        for where, insert, replace in edits:
            at = int(where * len(data))
            data = data[:at] + insert + data[at + (len(insert) if replace else 0):]
        path.write_bytes(data)
        import_or_refuse(project, path)


def _wide_csv(folder, n):
    path = folder / "wide.csv"
    path.write_text(",".join(["text"] + [f"c{i}" for i in range(n)]) + "\nhello" + ",1" * n + "\n")
    return path, 1 + n > SMALL.max_columns


def _long_text(folder, n):
    path = folder / "long.jsonl"
    path.write_text(json.dumps({"text": "y" * n}) + "\n")
    return path, n > SMALL.max_text_chars


def _deep_json(folder, n):
    path = folder / "deep.json"
    path.write_text('[{"text": "deep", "v": ' + "[" * n + "0" + "]" * n + "}]")
    return path, 1 + n > SMALL.max_depth


def _long_integer(folder, n):
    path = folder / "number.jsonl"
    path.write_text('{"text": "number", "n": 1' + "0" * n + "}\n")
    return path, n + 1 > 4300 or len('{"n": 1}') + n > SMALL.max_meta_chars  # the metadata kept


def _many_rows(folder, n):
    path = folder / "rows.tsv"
    path.write_text("text\n" + "".join(f"row {i}\n" for i in range(n)))
    return path, n > SMALL.max_rows


def _parquet_bomb(folder, n):
    """One value of ``n`` characters stored once, repeated in 5000 rows: a few hundred bytes of file."""
    path = folder / "bomb.parquet"
    column = pa.DictionaryArray.from_arrays(pa.array([0] * 5000, pa.int32()), pa.array(["z" * n]))
    pq.write_table(pa.table({"text": column}), path, compression="zstd")
    return path, True  # over max_text_chars or, repeated, over max_rows


SHAPES = {"wide CSV": (_wide_csv, 40), "long text": (_long_text, 600), "deep JSON": (_deep_json, 3000),
          "long integer": (_long_integer, 6000), "many rows": (_many_rows, 80), "Parquet bomb": (_parquet_bomb, 4000)}


@FUZZ
@given(shape=st.sampled_from(sorted(SHAPES)), scale=st.floats(0, 1))
def test_hostile_shapes_are_refused_exactly_past_their_limit(shape, scale):
    make, largest = SHAPES[shape]
    with seeded_project() as (project, folder):
        path, over = make(folder, 1 + int(scale * largest))
        assert import_or_refuse(project, path, label_column=None) is not over


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_round_trip_of_every_hostile_character(fmt):
    """The characters the fuzz draws from, each in a text of its own, through an export and back."""
    items = [{"text": f"<{char}>", "label": LABELS[i % len(LABELS)]} for i, char in enumerate(HOSTILE_CHARS)
             if char not in ("\x00", "\ud800", "\udfff")]
    with seeded_project() as (project, folder):
        path = folder / "all.jsonl"
        path.write_text("".join(json.dumps(item) + "\n" for item in items))
        assert import_or_refuse(project, path)
        check_round_trip(project, folder)
