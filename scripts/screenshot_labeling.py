"""Take the README's screenshot of the labeling page (docs/labeling.png) from the demo data.

Creates the demo project in a scratch folder, runs ``labelloop serve`` (app and
worker, default model), signs in as the demo annotator and labels texts by
keyboard with their sample-data labels until the worker's first model ranks
the queue and the page shows a suggestion; then saves the screenshot.

    python scripts/screenshot_labeling.py [--out docs/labeling.png] [--max-items 80]
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

from annotator.services.demo import DEMO_LABELS, ensure_demo_project
from annotator.services.projects import open_project
from annotator.store.examples import get_example, ids_by_hash, text_hash
from annotator.store.labels import current_labels

CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
TEXT = '.st-key-ll_text [data-testid="stText"]'


def gold_label(project, text: str) -> str:
    """The sample data's label of ``text`` (pool metadata or the evaluation set's gold label)."""
    example_id = ids_by_hash(project.db.conn, [text_hash(text)])[text_hash(text)]
    meta = get_example(project.db, example_id)["meta"]
    if meta.get("label") in DEMO_LABELS:
        return meta["label"]
    labels = current_labels(project.db, example_id)
    return labels[0]["label"] if labels else DEMO_LABELS[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/labeling.png"))
    parser.add_argument("--max-items", type=int, default=80)
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    scratch = Path(tempfile.mkdtemp(prefix="labelloop_shot_"))
    info, credentials = ensure_demo_project(scratch / "demo")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-c", "import sys; from annotator.cli import main; sys.exit(main())",
         "serve", "--project", str(info.path), "--port", str(port)],
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
        with sync_playwright() as playwright, open_project(info.path) as project:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 760}, device_scale_factor=1)
            page.goto(url)
            page.get_by_label("User name").fill("annotator")
            page.get_by_label("Password", exact=True).fill(credentials["annotator"])
            page.keyboard.press("Enter")
            page.locator(TEXT).wait_for(timeout=60_000)
            for _ in range(args.max_items):
                suggestion = page.get_by_text("Model suggestion:")
                if suggestion.count() and "none yet" not in suggestion.first.inner_text():
                    break
                shown = page.locator(TEXT).inner_text()
                page.keyboard.press(str(DEMO_LABELS.index(gold_label(project, shown)) + 1))
                page.wait_for_function(
                    "([sel, t]) => { const e = document.querySelector(sel); return e && e.innerText !== t; }",
                    arg=[TEXT, shown], timeout=30_000,
                )
                page.wait_for_timeout(1500)  # a human pace, so the worker keeps up
            page.wait_for_timeout(3500)  # one status refresh
            args.out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(args.out))
            browser.close()
        print(f"saved {args.out}")
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
