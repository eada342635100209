"""Load benchmark: many simulated annotators, each in its own process, on one large pool.

Every annotator runs the code path the labeling page uses —
``annotator.services.queue.next_item`` then ``annotator.services.queue.save_label`` — as fast as
it can (no thinking time unless asked), against one project whose pool is
``pool`` synthetic texts ranked by a published version (a random ranking
published through the store's versions API, as a cold-start version would be).

Checks made afterwards:

* **lost**: a save that returned no id, or whose id is not in the database with
  the same example, annotator and label, or a label row of a benchmark
  annotator that no process reported (counted both ways);
* **double_leased**: each process records, per served item, the window during
  which it certainly held the lease (from ``next_item`` returning to
  ``save_label`` being called, on the machine-wide monotonic clock); two
  windows of different annotators on the same item that overlap count as a
  double lease. The database invariant is checked too: with no overlap
  configured, no example may hold two current labels (``db_multi_labeled``),
  and no lease may be left behind (``leases_left``);
* **failed calls**: a ``next_item`` or ``save_label`` that raised (for
  instance SQLite's "database is locked" once ``busy_timeout`` runs out) is
  counted (``failed_next``, ``failed_save``) and the annotator carries on as
  a person would: the next ``next_item`` returns the same leased item and the
  save is tried again. A failed save is visible to its user, so it is not
  "lost"; ``lost`` counts only labels whose save reported success.

With ``database_url`` (``labelloop bench load --database postgresql://...``) the project's tables
go in a new schema of that PostgreSQL database, dropped after the run (unless ``keep``); every
process and every check goes through the same store and services as on SQLite.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from annotator.errors import InputError
from benchmarks.common import machine_info, now, percentiles_ms
from benchmarks.synthetic import write_synthetic_file

LOAD_LABELS = ["alpha", "beta", "gamma", "delta"]
MAX_FAILURES = 50  # an annotator process gives up after this many failed calls
QUICK = {"annotators": 4, "labels_each": 25, "pool": 2_000}


def label_for(example_id: int) -> str:
    """The answer a simulated annotator gives: fixed per item, so the check can verify it."""
    return LOAD_LABELS[example_id % len(LOAD_LABELS)]


def annotator_name(index: int) -> str:
    return f"load{index:03d}"


def build_project(folder: Path, pool: int, seed: int = 0, database_url: str | None = None) -> dict[str, Any]:
    """A project with ``pool`` synthetic texts and a published random ranking (on ``database_url``'s
    PostgreSQL when given, else in ``project.db``); returns timings."""
    from annotator.services.imports import import_file
    from annotator.services.projects import create_project
    from annotator.services.ranking import build_scores, random_order
    from annotator.store.trainset import pool as pool_rows
    from annotator.store.users import insert_user
    from annotator.store.versions import publish_version

    started = now()
    data = write_synthetic_file(folder.parent / f"{folder.name}-pool.csv", pool, seed=seed)
    with create_project(folder, LOAD_LABELS, database_url=database_url) as project:
        summary = import_file(project, data, id_column="id")
        imported = now()
        ids, _, _ = pool_rows(project.db)
        scores = build_scores(ids, done=set(), order=random_order(len(ids), seed))
        version = publish_version(project.db, kind="coldstart", strategy="random", scores=scores,
                                  watermark=0)
        published = now()
        for index in range(_max_annotators):
            insert_user(project.db, annotator_name(index), "annotator", None)
    data.unlink()
    return {
        "examples": summary.examples_added,
        "version": version,
        "import_s": round(imported - started, 3),
        "publish_s": round(published - imported, 3),
    }


def _republish(project_dir: str, every_s: float, seed: int, start_event: Any, stop_event: Any,
               out_path: str) -> None:
    """Stand-in for the worker's fast refresh: every ``every_s`` seconds publish a new ranking of
    the whole pool (labeled items last) in one write transaction, as the worker does."""
    from annotator.services.projects import open_project
    from annotator.services.ranking import build_scores, random_order
    from annotator.store.connection import database_errors
    from annotator.store.trainset import current_label_counts, max_label_id
    from annotator.store.trainset import pool as pool_rows
    from annotator.store.versions import prune_scores, publish_version

    durations: list[float] = []
    failures: list[str] = []
    with open_project(project_dir) as project:
        ids, _, _ = pool_rows(project.db)
        order = random_order(len(ids), seed)
        start_event.wait()
        while not stop_event.wait(every_s):
            started = now()
            try:
                newest = max_label_id(project.db)
                rows = build_scores(ids, done=set(current_label_counts(project.db)), order=order)
                publish_version(project.db, kind="head", strategy="random", scores=rows,
                                watermark=newest)
                prune_scores(project.db)
            except database_errors() as exc:  # the worker records a failed job and tries again
                failures.append(f"{exc} after {now() - started:.1f} s")
                continue
            durations.append(now() - started)
    Path(out_path).write_text(json.dumps({"publish_s": durations, "failures": failures}))


_max_annotators = 64  # users created up front; a run may use fewer


def _annotate(project_dir: str, index: int, labels_each: int, think_s: float, start_event: Any,
              out_path: str) -> None:
    """One annotator (a process, or a thread of :func:`_app_process`): next item -> save label,
    ``labels_each`` times; writes its records."""
    from annotator.services.projects import open_project
    from annotator.services.queue import next_item, save_label

    name = annotator_name(index)
    records: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    with open_project(project_dir) as project:
        start_event.wait()
        began = now()
        while len(records) < labels_each and len(failures) <= MAX_FAILURES:
            t0 = now()
            try:
                item = next_item(project, name)
            except Exception as exc:  # noqa: BLE001 - a failed call is a finding: record it, carry on like a user would
                failures.append({"call": "next", "error": f"{type(exc).__name__}: {exc}", "s": now() - t0})
                continue
            t1 = now()
            if item is None:
                break
            example_id = int(item.example_id)
            if think_s:
                time.sleep(think_s)
            label = label_for(example_id)
            t2 = now()
            try:
                label_id = save_label(project, name, example_id, label)
            except Exception as exc:  # noqa: BLE001 - the user sees an error and presses save again
                failures.append({"call": "save", "error": f"{type(exc).__name__}: {exc}", "s": now() - t2,
                                 "example_id": example_id})
                continue
            t3 = now()
            records.append({"example_id": example_id, "label": label, "label_id": label_id,
                            "held": [t1, t2], "next_s": t1 - t0, "save_s": t3 - t2})
        ended = now()
    Path(out_path).write_text(json.dumps(
        {"annotator": name, "began": began, "ended": ended, "records": records, "failures": failures}
    ))


def _app_process(project_dir: str, indices: list[int], labels_each: int, think_s: float, start_event: Any,
                 out_paths: list[str]) -> None:
    """One app process serving several annotators, as a Streamlit server serves its sessions: each
    annotator a thread with its own connection to the project (:func:`_annotate`)."""
    import threading

    threads = [threading.Thread(target=_annotate, args=(project_dir, i, labels_each, think_s, start_event, out))
               for i, out in zip(indices, out_paths)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def find_double_leases(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pairs of different annotators whose certain-hold windows on one item overlap."""
    by_item: dict[int, list[tuple[float, float, str]]] = defaultdict(list)
    for record in records:
        start, end = record["held"]
        by_item[record["example_id"]].append((start, end, record["annotator"]))
    clashes = []
    for example_id, windows in by_item.items():
        if len(windows) < 2:
            continue
        windows.sort()
        for i, (start, end, who) in enumerate(windows):
            for other_start, other_end, other in windows[i + 1:]:
                if other_start >= end:
                    break
                if other != who:
                    clashes.append({"example_id": example_id, "annotators": [who, other],
                                    "windows": [[start, end], [other_start, other_end]]})
    return clashes


def check_database(project_dir: Path, records: list[dict[str, Any]], annotators: list[str]) -> dict[str, Any]:
    """Compare what the processes reported with what the database holds."""
    from annotator.services.projects import open_project
    from annotator.store.connection import read_snapshot
    from annotator.store.label_rows import raw_label_rows
    from annotator.store.leases import active_lease
    from annotator.store.trainset import current_label_counts

    with open_project(project_dir) as project:
        rows = {row["label_id"]: row for row in raw_label_rows(project.db)}
        missing = 0
        for record in records:
            row = rows.get(record["label_id"]) if record["label_id"] is not None else None
            if (row is None or row["example_id"] != record["example_id"]
                    or row["annotator"] != record["annotator"] or row["label"] != record["label"]):
                missing += 1
        reported = {record["label_id"] for record in records}
        names = set(annotators)
        unreported = sum(1 for label_id, row in rows.items()
                         if row["annotator"] in names and label_id not in reported)
        multi = sum(1 for count in current_label_counts(project.db).values() if count > 1)
        stamp = time.time()
        with read_snapshot(project.db) as conn:
            leases_left = sum(1 for name in annotators if active_lease(conn, name, stamp) is not None)
    return {"lost": missing, "unreported_rows": unreported, "db_multi_labeled": multi,
            "leases_left": leases_left, "db_label_rows": len(rows)}


def drop_project_schema(project_dir: Path) -> None:
    """Drop a PostgreSQL project's schema (and its ``database.json``); nothing for a SQLite project,
    whose file goes with its folder."""
    from annotator.services.projects import is_project, open_project
    from annotator.store.dialect import is_postgres
    from annotator.store.project import drop_database

    if not is_project(project_dir):
        return
    project = open_project(project_dir)
    if is_postgres(project.db):
        drop_database(project)
    else:
        project.close()


def run_load(
    annotators: int = 20,
    labels_each: int = 500,
    pool: int = 100_000,
    *,
    quick: bool = False,
    think_ms: float = 0.0,
    republish_s: float = 0.0,
    workdir: str | os.PathLike | None = None,
    seed: int = 0,
    keep: bool = False,
    database_url: str | None = None,
    app_processes: int = 0,
) -> dict[str, Any]:
    """Run the load benchmark and return its JSON-ready result; ``database_url``: the project on
    that PostgreSQL database (a new schema, dropped afterwards unless ``keep``); ``app_processes``:
    the annotators as threads of that many processes (round robin), as app servers hold their
    sessions (0: each annotator a process of its own)."""
    from annotator.store.dialect import is_postgres_url

    if database_url is not None and not is_postgres_url(database_url):
        raise InputError(f"--database must be a postgresql:// URL, not {database_url!r}")
    if quick:
        annotators = min(annotators, QUICK["annotators"])
        labels_each = min(labels_each, QUICK["labels_each"])
        pool = min(pool, QUICK["pool"])
    if not 1 <= annotators <= _max_annotators:
        raise InputError(f"--annotators must be between 1 and {_max_annotators}")
    if not 0 <= app_processes <= annotators:
        raise InputError(f"--app-processes must be between 0 and the number of annotators ({annotators})")
    if labels_each < 1 or pool < 1:
        raise InputError("--labels-each and --pool must be positive")
    if annotators * labels_each > pool:
        raise InputError(f"{annotators} x {labels_each} labels need a pool of at least "
                         f"{annotators * labels_each} (got {pool})")
    base = Path(tempfile.mkdtemp(prefix="labelloop-load-", dir=workdir))
    project_dir = base / "project"
    try:
        setup = build_project(project_dir, pool, seed=seed, database_url=database_url)
        names = [annotator_name(i) for i in range(annotators)]
        context = multiprocessing.get_context("spawn")
        start_event = context.Event()
        outputs = [base / f"{name}.json" for name in names]
        if app_processes:
            groups = [list(range(k, annotators, app_processes)) for k in range(app_processes)]
            processes = [
                context.Process(target=_app_process, args=(str(project_dir), group, labels_each, think_ms / 1000.0,
                                                           start_event, [str(outputs[i]) for i in group]))
                for group in groups
            ]
        else:
            processes = [
                context.Process(target=_annotate, args=(str(project_dir), i, labels_each, think_ms / 1000.0,
                                                        start_event, str(outputs[i])))
                for i in range(annotators)
            ]
        n_clients = len(processes)
        stop_event = context.Event()
        republish_out = base / "republish.json"
        if republish_s > 0:
            processes.append(context.Process(target=_republish, args=(
                str(project_dir), republish_s, seed, start_event, stop_event, str(republish_out))))
        for process in processes:
            process.start()
        time.sleep(0.5 + 0.05 * annotators)  # let every process import and open the project
        start_event.set()
        for process in processes[:n_clients]:
            process.join()
        stop_event.set()
        for process in processes[n_clients:]:
            process.join()
        republished = json.loads(republish_out.read_text()) if republish_out.exists() else {}
        publishes = republished.get("publish_s", [])
        reports = [json.loads(path.read_text()) for path in outputs if path.exists()]
        records = [dict(record, annotator=report["annotator"])
                   for report in reports for record in report["records"]]
        wall = max(r["ended"] for r in reports) - min(r["began"] for r in reports) if reports else 0.0
        clashes = find_double_leases(records)
        checks = check_database(project_dir, records, names)
        next_s = [r["next_s"] for r in records]
        save_s = [r["save_s"] for r in records]
        failures = [dict(f, annotator=r["annotator"]) for r in reports for f in r["failures"]]
        errors = sorted({f["error"] for f in failures})
        client_names = [f"app{k}" for k in range(n_clients)] if app_processes else names
        crashed = [client_names[i] if i < n_clients else "republisher"
                   for i, p in enumerate(processes) if p.exitcode != 0]
        next_ms, save_ms = percentiles_ms(next_s), percentiles_ms(save_s)
        origin = min((r["began"] for r in reports), default=0.0)
        calls = [("next", r["next_s"], r["held"][0] - r["next_s"], r) for r in records]
        calls += [("save", r["save_s"], r["held"][1], r) for r in records]
        slowest = [{"call": kind, "ms": round(seconds * 1000, 1), "started_at_s": round(start - origin, 3),
                    "annotator": r["annotator"], "example_id": r["example_id"]}
                   for kind, seconds, start, r in sorted(calls, key=lambda c: -c[1])[:10]]
        over_1s = {"next": sum(1 for s in next_s if s > 1.0), "save": sum(1 for s in save_s if s > 1.0)}
        result = {
            "part": "load",
            "backend": "postgresql" if database_url is not None else "sqlite",
            "quick": quick,
            "annotators": annotators,
            "app_processes": app_processes,
            "labels_each": labels_each,
            "pool": pool,
            "think_ms": think_ms,
            "republish_every_s": republish_s,
            "republishes": len(publishes),
            "republish_failures": republished.get("failures", []),
            "republish_s": {"median": round(sorted(publishes)[len(publishes) // 2], 3) if publishes else None,
                            "max": round(max(publishes), 3) if publishes else None},
            "setup": setup,
            "labels_saved": len(records),
            "labels_expected": annotators * labels_each,
            "wall_s": round(wall, 3),
            "labels_per_s": round(len(records) / wall, 2) if wall > 0 else None,
            "next_ms": next_ms,
            "save_ms": save_ms,
            "p50_next_ms": next_ms["p50"], "p95_next_ms": next_ms["p95"], "p99_next_ms": next_ms["p99"],
            "p50_save_ms": save_ms["p50"], "p95_save_ms": save_ms["p95"], "p99_save_ms": save_ms["p99"],
            "max_next_ms": round(max(next_s) * 1000, 3) if next_s else None,
            "max_save_ms": round(max(save_s) * 1000, 3) if save_s else None,
            "calls_over_1s": over_1s,
            "slowest_calls": slowest,
            "lost": checks["lost"] + checks["unreported_rows"],
            "double_leased": len(clashes),
            "double_lease_examples": clashes[:10],
            "db_multi_labeled": checks["db_multi_labeled"],
            "leases_left": checks["leases_left"],
            "db_label_rows": checks["db_label_rows"],
            "errors": errors,
            "failed_next": sum(1 for f in failures if f["call"] == "next"),
            "failed_save": sum(1 for f in failures if f["call"] == "save"),
            "failed_calls": [{k: (round(v, 3) if isinstance(v, float) else v) for k, v in f.items()}
                             for f in failures[:20]],
            "crashed_processes": crashed,
            "histogram_ms": {"next": [round(s * 1000, 3) for s in next_s],
                             "save": [round(s * 1000, 3) for s in save_s]},
            "machine": machine_info(),
        }
        return result
    finally:
        if not keep:
            if database_url is not None:
                drop_project_schema(project_dir)
            shutil.rmtree(base, ignore_errors=True)
