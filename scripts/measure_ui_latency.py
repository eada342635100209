"""Measure the labeling page's key-to-next-text latency in a real browser.

Builds (once) a project with a large pool of real texts (the train splits under
/work/shared/datasets, topped up with synthetic ones to --pool), serves it with
``labelloop serve --no-worker`` on a free port, signs in with Chromium through
Playwright and labels --items texts with the keyboard only. The time of each
label is measured inside the page: from the keydown event to the first
animation frame after the labeling card shows a different text. Prints p50,
p95 and max in milliseconds.

    python scripts/measure_ui_latency.py --project /tmp/latency_100k --pool 100000 --items 60
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DATASETS = Path("/work/shared/datasets")
SPLITS = ["sst2", "banking77", "subj", "sst2_sent", "trec", "sms_spam"]
LABELS = ["positive", "negative", "neutral", "other"]
USER, PASSWORD = "annotator", "latency-pass"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

# Installed in the page: the time from a keydown to the first frame showing a new text.
PAGE_TIMER = """
() => {
  if (window.__llTimer) { return; }
  const timer = window.__llTimer = {start: null, last: null, samples: []};
  const current = () => {
    const box = document.querySelector('.st-key-ll_text [data-testid="stText"]');
    return box ? box.textContent : null;  // textContent: no forced layout
  };
  timer.last = current();
  document.addEventListener('keydown', () => { timer.start = performance.now(); timer.last = current(); }, true);
  new MutationObserver(() => {
    if (timer.start === null) { return; }
    const now = current();
    if (now !== null && now !== timer.last) {
      const start = timer.start;
      timer.start = null;
      timer.last = now;
      requestAnimationFrame(() => timer.samples.push(performance.now() - start));
    }
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}
"""


# The floor: a bare Streamlit page doing the same round trip (a shortcut button in a
# fragment that swaps one st.text), measured in the same run for comparison.
BASELINE_APP = """
import streamlit as st
st.session_state.setdefault("n", 0)
def bump():
    st.session_state.n += 1
@st.fragment
def card():
    with st.container(key="ll_text"):
        st.text(f"baseline text number {st.session_state.n}")
    for key in "1234":
        st.button(f"label {key}", key=f"b{key}", shortcut=key, on_click=bump)
card()
"""


def pool_texts(n: int) -> list[str]:
    """Up to ``n`` distinct real texts, topped up with synthetic ones."""
    seen: set[str] = set()
    texts: list[str] = []
    for name in SPLITS:
        path = DATASETS / name / "train.jsonl"
        if not path.is_file():
            continue
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                text = json.loads(line)["text"].strip()
                if text and text not in seen:
                    seen.add(text)
                    texts.append(text)
                    if len(texts) >= n:
                        return texts
    if len(texts) < n:
        from benchmarks.synthetic import synthetic_texts

        for text in synthetic_texts(n - len(texts), seed=7):
            texts.append(text)
    return texts


def build_project(folder: Path, pool: int) -> None:
    from annotator.services.imports import import_file
    from annotator.services.passwords import hash_password
    from annotator.services.projects import create_project
    from annotator.store.users import insert_user

    if (folder / "project.db").exists():
        return
    started = time.perf_counter()
    with create_project(folder, LABELS) as project:
        insert_user(project.db, USER, "annotator", hash_password(PASSWORD))
        with tempfile.TemporaryDirectory() as scratch:
            data = Path(scratch) / "pool.jsonl"
            with data.open("w", encoding="utf-8") as handle:
                for text in pool_texts(pool):
                    handle.write(json.dumps({"text": text}) + "\n")
            summary = import_file(project, data)
    print(f"built {folder}: {summary} in {time.perf_counter() - started:.1f} s", file=sys.stderr)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_ready(url: str, timeout: float = 90.0) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not come up in {timeout:.0f} s")


def measure(url: str, items: int, warmup: int, *, sign_in: bool = True, pause_ms: int = 300) -> list[float]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(url)
            if sign_in:
                page.get_by_label("User name").fill(USER)
                page.get_by_label("Password", exact=True).fill(PASSWORD)
                page.keyboard.press("Enter")
            text = page.locator('.st-key-ll_text [data-testid="stText"]')
            text.wait_for(timeout=60_000)
            page.wait_for_timeout(1500)  # let the first status refresh settle
            page.evaluate(PAGE_TIMER)
            for i in range(warmup + items):
                before = text.text_content()
                page.keyboard.press(str(1 + i % len(LABELS)))
                page.wait_for_function(
                    "t => { const e = document.querySelector('.st-key-ll_text [data-testid=\"stText\"]');"
                    " return e && e.textContent !== t; }",
                    arg=before, timeout=30_000,
                )
                page.wait_for_timeout(pause_ms)  # an annotator reads before the next key
            samples = page.evaluate("() => window.__llTimer.samples")
        finally:
            browser.close()
    return samples[warmup:]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, default=Path(tempfile.gettempdir()) / "labelloop_latency_100k")
    parser.add_argument("--pool", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--pause-ms", type=int, default=300,
                        help="wait between a new text and the next key (reading time)")
    parser.add_argument("--baseline", action="store_true",
                        help="also measure a bare Streamlit page doing the same round trip")
    args = parser.parse_args(argv)

    build_project(args.project, args.pool)
    with served([sys.executable, "-c", "import sys; from annotator.cli import main; sys.exit(main())",
                 "serve", "--project", str(args.project), "--port", "{port}", "--no-worker"]) as url:
        samples = measure(url, args.items, args.warmup, pause_ms=args.pause_ms)
    baseline: list[float] = []
    if args.baseline:
        with tempfile.TemporaryDirectory() as scratch:
            app = Path(scratch) / "baseline.py"
            app.write_text(BASELINE_APP)
            with served([sys.executable, "-m", "streamlit", "run", str(app), "--server.port", "{port}",
                         "--server.address", "127.0.0.1", "--server.headless", "true",
                         "--browser.gatherUsageStats", "false"]) as url:
                baseline = measure(url, args.items, args.warmup, sign_in=False, pause_ms=args.pause_ms)
    from annotator.services.projects import open_project
    from annotator.store.examples import count_examples

    with open_project(args.project) as project:
        pool = count_examples(project.db)
    print(f"pool {pool} texts, {len(samples)} labels by keyboard (after {args.warmup} warm-up)")
    report("labeling page", samples)
    if baseline:
        report("bare Streamlit baseline (same round trip, no project)", baseline)
    return 0


def report(name: str, samples: list[float]) -> None:
    print(f"{name}: key -> next text visible: p50 {statistics.median(samples):.0f} ms, "
          f"p95 {percentile(samples, 95):.0f} ms, max {max(samples):.0f} ms, "
          f"mean {statistics.fmean(samples):.0f} ms (n={len(samples)})")


@contextlib.contextmanager
def served(command: list[str]):
    """Run ``command`` (``{port}`` replaced by a free port) in its own process group; yield its URL."""
    port = free_port()
    server = subprocess.Popen(
        [part.replace("{port}", str(port)) for part in command],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_ready(url)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


if __name__ == "__main__":
    sys.exit(main())
