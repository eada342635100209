"""100k rows through import and export (slow: run with -m slow). Counts only, never times."""

from __future__ import annotations

import pytest

from annotator.services.exports import export
from annotator.services.imports import import_file
from annotator.services.stats import project_stats
from tests.helpers.files import write_parquet

N = 100_000


@pytest.mark.slow
def test_hundred_thousand_rows(project, tmp_path):
    rows = [
        {"id": f"r{i}", "text": f"support ticket {i % 95_000} about order {i % 95_000}", "label": ("pos", "neg", "neutral")[i % 3]}
        for i in range(N)
    ]
    summary = import_file(project, write_parquet(tmp_path / "big.parquet", rows), label_column="label", id_column="id")
    assert (summary.rows_read, summary.examples_added, summary.duplicates_in_file) == (N, 95_000, 5_000)
    stats = project_stats(project, sections=())
    assert stats["pool"] == stats["labeled"] == 95_000
    again = import_file(project, tmp_path / "big.parquet", label_column="label", id_column="id")
    assert (again.examples_added, again.already_in_pool, again.labels_added) == (0, 95_000, 0)
    for fmt in ("csv", "jsonl", "parquet"):
        assert export(project, tmp_path / f"out.{fmt}", fmt) == 95_000
