"""Take the README's screenshot of the lead dashboard (docs/dashboard.png) from the demo data.

Creates the demo project in a scratch folder (sample-data pool and labeled
evaluation set), lets a simulated team of four annotators label part of the
pool with their own speed and error rate (30 % of items by two annotators),
and after every chunk of labels runs the worker's real fast-tier refresh
(default model embeddings + head, evaluated on the evaluation set), so the
learning curve, confusion matrix and stopping signal are real. A lead
adjudicates a few disagreements. Then ``labelloop serve`` runs the app, the
lead signs in, opens the dashboard and the page is saved.

    python scripts/screenshot_dashboard.py [--out docs/dashboard.png] [--labels 480] [--chunk 40]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from annotator.services.demo import ensure_demo_project
from annotator.services.projects import open_project
from annotator.services.review import adjudicate, disagreement_queue
from annotator.store.examples import backdate_examples, get_example
from annotator.store.reporting import unlabeled_examples
from benchmarks.team import SimulatedAnnotator, simulate_team, write_labels

CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
HISTORY_SECONDS = 3 * 86_400
TEAM = [
    SimulatedAnnotator("maria", error_rate=0.05, median_seconds=6.0),
    SimulatedAnnotator("jonas", error_rate=0.12, median_seconds=9.0),
    SimulatedAnnotator("li", error_rate=0.08, median_seconds=5.0),
    SimulatedAnnotator("sam", error_rate=0.22, median_seconds=12.0),
]


def build(folder: Path, n_labels: int, chunk: int) -> tuple[Path, dict[str, str]]:
    from annotator.services.training.models import load_models
    from annotator.services.training.refresh import refresh

    info, credentials = ensure_demo_project(folder)
    with open_project(info.path) as project:
        backdate_examples(project.db, HISTORY_SECONDS)  # the pool was imported before the team started
        gold = {}
        for example_id, is_eval in unlabeled_examples(project.db):
            label = get_example(project.db, example_id)["meta"].get("label")
            if not is_eval and label:
                gold[example_id] = label
        rows = simulate_team(project, TEAM, n_labels, gold=gold, overlap_fraction=0.3, k=2, seed=7,
                             end=time.time() - 600)
        models = load_models(project)
        for start in range(0, len(rows), chunk):
            write_labels(project, rows[start:start + chunk])
            result = refresh(project, models)
            print(f"{start + chunk} labels: version {result.version} {result.kind} "
                  f"accuracy {result.metrics.get('accuracy')}", file=sys.stderr)
        for row in disagreement_queue(project).head(5).itertuples():
            adjudicate(project, "lead", row.example_id, gold[row.example_id])
    return info.path, credentials


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/dashboard.png"))
    parser.add_argument("--labels", type=int, default=480, help="simulated label rows")
    parser.add_argument("--chunk", type=int, default=40, help="labels between refreshes")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    scratch = Path(tempfile.mkdtemp(prefix="labelloop_dash_"))
    folder, credentials = build(scratch / "demo", args.labels, args.chunk)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-c", "import sys; from annotator.cli import main; sys.exit(main())",
         "serve", "--project", str(folder), "--port", str(port), "--no-worker"],
        stdout=subprocess.DEVNULL, stderr=(scratch / "serve.log").open("w"), start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            # Streamlit scrolls inside its own container: a tall viewport captures the whole page.
            page = browser.new_page(viewport={"width": 1400, "height": 4400}, device_scale_factor=1)
            page.goto(url)
            page.get_by_label("User name").fill("lead")
            page.get_by_label("Password", exact=True).fill(credentials["lead"])
            page.keyboard.press("Enter")
            page.get_by_role("link", name="Dashboard").click()
            page.get_by_role("heading", name="Stopping signal").wait_for(timeout=120_000)
            page.locator('[data-testid="stVegaLiteChart"]').nth(9).wait_for(timeout=60_000)
            page.wait_for_timeout(2500)  # let the charts finish drawing
            height = page.evaluate(
                "document.querySelector('[data-testid=\"stMainBlockContainer\"]').scrollHeight"
            )
            page.set_viewport_size({"width": 1400, "height": int(height) + 40})
            page.wait_for_timeout(1500)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(args.out), full_page=True)
            browser.close()
        print(f"saved {args.out} (project {folder})")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
