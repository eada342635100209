"""Compare two ways for the Streamlit app to hold its SQLite connection, under concurrent sessions.

* per-session: every session (thread) opens its own connection (what the app does);
* shared+lock: one process-wide connection, every library call under one lock;
* shared, no lock: one connection used by all threads at once (to show why not).

Each of --sessions threads labels --items texts (next_item + save_label) in a
copy of --project. Prints the per-call p50/p95 and failures of each mode.

    python scripts/measure_app_connections.py --project /tmp/lat100k --sessions 8 --items 100
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

from annotator.services import queue
from annotator.services.labelset import get_labels
from annotator.services.passwords import hash_password
from annotator.services.projects import open_project
from annotator.store.users import get_user, insert_user


def run_mode(folder: Path, mode: str, sessions: int, items: int) -> tuple[list[float], int, float]:
    shared = open_project(folder, check_same_thread=False) if mode != "per-session" else None
    lock = threading.Lock()
    timings: list[float] = []
    failures = [0]
    labels = get_labels(shared.db) if shared else None

    def session(index: int) -> None:
        project = shared or open_project(folder, check_same_thread=False)
        names = labels or get_labels(project.db)
        name = f"bench{index}"
        for _ in range(items):
            started = time.perf_counter()
            try:
                if mode == "shared+lock":
                    with lock:
                        item = queue.next_item(project, name)
                        queue.save_label(project, name, item.example_id, names[0], seconds=1.0)
                else:
                    item = queue.next_item(project, name)
                    queue.save_label(project, name, item.example_id, names[0], seconds=1.0)
            except Exception:  # noqa: BLE001 - counting failures is the point of this mode
                failures[0] += 1
            timings.append(time.perf_counter() - started)

    threads = [threading.Thread(target=session, args=(i,)) for i in range(sessions)]
    wall = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return timings, failures[0], time.perf_counter() - wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, required=True)
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--items", type=int, default=100)
    args = parser.parse_args()
    for mode in ("per-session", "shared+lock", "shared, no lock"):
        with tempfile.TemporaryDirectory() as scratch:
            folder = Path(scratch) / "copy"
            shutil.copytree(args.project, folder)
            with open_project(folder) as project:
                for i in range(args.sessions):
                    if get_user(project.db, f"bench{i}") is None:
                        insert_user(project.db, f"bench{i}", "annotator", hash_password("x"))
            timings, failures, wall = run_mode(folder, mode, args.sessions, args.items)
        ordered = sorted(timings)
        print(f"{mode:16s} {len(timings)} label+next calls in {wall:.2f} s: "
              f"p50 {statistics.median(ordered) * 1000:.2f} ms, "
              f"p95 {ordered[int(0.95 * (len(ordered) - 1))] * 1000:.2f} ms, failures {failures}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
