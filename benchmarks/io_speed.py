"""Import and export at scale, each beside a plain baseline on the same file.

* import: ``annotator.services.imports.import_file`` of a labeled CSV into a
  new project (validation, text limits, de-duplication by id and text, the
  labels as bulk labels) against ``sqlite_utils`` reading the same CSV with
  the standard ``csv`` module and ``insert_all`` into a bare table in a fresh
  database (no checks at all).
* export: ``annotator.services.exports.export`` of the final labels to CSV
  against ``pandas.read_sql`` of the same labels joined to their texts,
  written with ``DataFrame.to_csv``.

The ratio of each pair is what our validation, de-duplication and provenance
columns cost on top of moving the bytes.
"""

from __future__ import annotations

import csv
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import now
from benchmarks.synthetic import write_synthetic_file

IO_LABELS = ["alpha", "beta", "gamma", "delta"]


def baseline_import(data: Path, database: Path) -> int:
    """The CSV's rows into one table of a fresh SQLite file with sqlite-utils, nothing checked."""
    import sqlite_utils

    csv.field_size_limit(sys.maxsize)
    db = sqlite_utils.Database(database)
    with data.open(encoding="utf-8", newline="") as handle:
        db["rows"].insert_all(csv.DictReader(handle), batch_size=10_000)
    count = db["rows"].count
    db.close()
    return count


def baseline_export(database: Path, out: Path) -> int:
    """The current labels with their texts, read with pandas.read_sql and written with to_csv."""
    import pandas as pd

    with sqlite3.connect(database) as conn:
        frame = pd.read_sql(
            "SELECT e.id AS example_id, e.ext_id, e.text, l.label, l.annotator, l.model_version, e.is_eval "
            "FROM labels l JOIN examples e ON e.id = l.example_id WHERE l.superseded = 0 ORDER BY e.id",
            conn,
        )
    frame.to_csv(out, index=False)
    return len(frame)


def measure_io(rows: int, workdir: Path) -> dict[str, Any]:
    """Import a labeled synthetic CSV of ``rows`` rows, export its labels; the baselines alongside."""
    from annotator.services.exports import export
    from annotator.services.imports import import_file
    from annotator.services.projects import create_project

    folder = Path(tempfile.mkdtemp(prefix=f"io{rows}-", dir=workdir))
    try:
        cpu: dict[str, float] = {}  # CPU seconds of this process per step (robust to a busy machine)
        started = now()
        data = write_synthetic_file(folder / "data.csv", rows, labels=IO_LABELS, seed=rows)
        generated = now()
        tick = time.process_time()
        baseline_rows = baseline_import(data, folder / "baseline.db")
        baseline_imported = now()
        cpu["baseline_import"], tick = time.process_time() - tick, time.process_time()
        with create_project(folder / "project", IO_LABELS) as project:
            started_import = now()
            tick = time.process_time()
            summary = import_file(project, data, id_column="id", label_column="label")
            imported = now()
            cpu["import"], tick = time.process_time() - tick, time.process_time()
            exported_rows = export(project, folder / "out.csv", "csv")
            exported = now()
            cpu["export"] = time.process_time() - tick
            database = project.db_path
        started_baseline_export = now()
        tick = time.process_time()
        baseline_exported_rows = baseline_export(database, folder / "baseline.csv")
        baseline_exported = now()
        cpu["baseline_export"] = time.process_time() - tick
        import_s, export_s = imported - started_import, exported - imported
        baseline_import_s = baseline_imported - generated
        baseline_export_s = baseline_exported - started_baseline_export
        return {
            "rows": rows, "generate_s": round(generated - started, 3),
            "import_s": round(import_s, 3), "export_s": round(export_s, 3),
            "baseline_import_s": round(baseline_import_s, 3), "baseline_export_s": round(baseline_export_s, 3),
            **{f"{step}_cpu_s": round(seconds, 3) for step, seconds in cpu.items()},
            "import_vs_baseline": round(import_s / baseline_import_s, 2),
            "export_vs_baseline": round(export_s / baseline_export_s, 2),
            "examples_added": summary.examples_added, "labels_added": summary.labels_added,
            "exported_rows": exported_rows, "baseline_rows": baseline_rows,
            "baseline_exported_rows": baseline_exported_rows,
            "import_rows_per_s": round(rows / import_s, 1),
            "export_rows_per_s": round(exported_rows / export_s, 1) if exported_rows else None,
            "file_mb": round(data.stat().st_size / 1e6, 1),
            "baselines": "import: sqlite_utils insert_all of csv.DictReader rows into a bare table; "
                         "export: pandas.read_sql of current labels joined to texts, DataFrame.to_csv",
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)
