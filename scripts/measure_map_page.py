"""Measure the Explore page with its embedding map in a real browser, at a 100k pool.

Two measurements, one after the other in one run:

* **the page**: a project of --pool synthetic texts with clustered 384-d vectors as its embedding
  cache and a published version that scores every text (``benchmarks.search.synthetic_project``),
  its map computed as the worker computes it (``projection.compute_map``), served by
  ``labelloop serve --no-worker``. Chromium (Playwright) signs in once, then --repeats times opens
  ``/explore``, waits for the results, clicks the Map tab and waits for the chart's canvas: the
  times from the navigation to the results and to the drawn map;
* **points drawn**: a bare Streamlit page that draws the map's own chart spec
  (``projection.chart_spec``) with N points of the same map, for each N of --points (the page
  draws ``projection.MAX_POINTS``; all 100k is the alternative): the time from the navigation to
  the drawn canvas, and the spec's size in bytes.

    python scripts/measure_map_page.py --pool 100000 --repeats 5 --json map_page.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the served() helper of measure_ui_latency

from measure_ui_latency import CHROMIUM_ARGS, served  # noqa: E402

USER, PASSWORD = "lead", "map-page-pass"
# the chart is drawn when its SVG holds every point (Streamlit's Vega renders SVG) or its canvas exists
DRAWN = """n => {
  const chart = document.querySelector('[data-testid="stVegaLiteChart"]');
  if (!chart) { return false; }
  return chart.querySelector('canvas') !== null || chart.querySelectorAll('.mark-symbol path').length >= n;
}"""
BARE_APP = """
import json, os
import streamlit as st
st.vega_lite_chart(spec=json.load(open(os.environ["LL_MAP_SPEC"])), width="stretch")
"""


def build(folder: Path, pool: int) -> None:
    from annotator.services import projection
    from annotator.services.passwords import hash_password
    from annotator.store.users import insert_user
    from benchmarks.search import clustered_vectors, synthetic_project

    if (folder / "project.db").exists():
        return
    started = time.perf_counter()
    project = synthetic_project(folder, pool, clustered_vectors(pool, 384))
    try:
        insert_user(project.db, USER, "lead", hash_password(PASSWORD))
        projection.compute_map(project)
    finally:
        project.close()
    print(f"built {folder} ({pool:,} texts, map) in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def _browser(playwright):
    return playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)


def _wait_drawn(page, points: int) -> None:
    page.wait_for_function(DRAWN, arg=points, timeout=300_000, polling="raf")
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => done()))")


def _wait_results(page) -> None:
    """Wait for the Explore page's result count; on a timeout say what the page showed instead."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.get_by_text("matches ·").first.wait_for(timeout=120_000)
    except PlaywrightTimeout:
        shown = page.locator("body").inner_text(timeout=5_000)
        raise SystemExit(f"the Explore page never showed its result count; it showed:\n{shown[-2000:]}") from None


def time_page(url: str, repeats: int, points: int) -> list[dict[str, float]]:
    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as playwright:
        browser = _browser(playwright)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url)
            page.get_by_label("User name").fill(USER)
            page.get_by_label("Password", exact=True).fill(PASSWORD)
            page.keyboard.press("Enter")
            page.get_by_role("link", name="Explore").wait_for(timeout=120_000)
            # the pages below are typed URLs (new Streamlit sessions): they sign in from the session
            # cookie, which a script sets a moment after the sign-in (on a loaded machine, seconds)
            page.wait_for_function("() => document.cookie.includes('labelloop_')", timeout=120_000)
            for _ in range(repeats + 1):  # the first is a warm-up (the server loads the cache and the map)
                start = time.perf_counter()
                page.goto(f"{url}/explore")
                _wait_results(page)
                results = time.perf_counter() - start
                page.get_by_role("tab", name="Map").click()
                _wait_drawn(page, points)
                rows.append({"results_s": round(results, 3), "map_s": round(time.perf_counter() - start, 3)})
        finally:
            browser.close()
    return rows[1:]


def time_points(spec_path: Path, points: int, repeats: int) -> list[float]:
    import os

    from playwright.sync_api import sync_playwright

    os.environ["LL_MAP_SPEC"] = str(spec_path)
    times = []
    with tempfile.TemporaryDirectory() as scratch:
        app = Path(scratch) / "map_only.py"
        app.write_text(BARE_APP)
        with served([sys.executable, "-m", "streamlit", "run", str(app), "--server.port", "{port}",
                     "--server.address", "127.0.0.1", "--server.headless", "true",
                     "--browser.gatherUsageStats", "false"]) as url, sync_playwright() as playwright:
            browser = _browser(playwright)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                for _ in range(repeats + 1):
                    start = time.perf_counter()
                    page.goto(url)
                    _wait_drawn(page, points)
                    times.append(round(time.perf_counter() - start, 3))
            finally:
                browser.close()
    return times[1:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, default=Path(tempfile.gettempdir()) / "labelloop_map_100k")
    parser.add_argument("--pool", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--points", default="5000,100000", help="comma list of points drawn by the bare page")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    from annotator.services import projection
    from annotator.services.projects import open_project
    from benchmarks.common import machine_info

    build(args.project, args.pool)
    result = {"kind": "map_page", "pool": args.pool, "repeats": args.repeats, "machine": machine_info(),
              "page_max_points": projection.MAX_POINTS}
    with served([sys.executable, "-c", "import sys; from annotator.cli import main; sys.exit(main())",
                 "serve", "--project", str(args.project), "--port", "{port}", "--no-worker"]) as url:
        rows = time_page(url, args.repeats, min(args.pool, projection.MAX_POINTS))
    result["explore_page"] = rows
    result["explore_results_median_s"] = statistics.median(r["results_s"] for r in rows)
    result["explore_map_median_s"] = statistics.median(r["map_s"] for r in rows)
    result["points"] = []
    with open_project(args.project) as project, tempfile.TemporaryDirectory() as scratch:
        for n in (int(p) for p in args.points.split(",")):
            spec_path = Path(scratch) / f"spec{n}.json"
            spec_path.write_text(json.dumps(projection.chart_spec(
                projection.map_points(project, "prediction", max_points=n), "prediction")))
            times = time_points(spec_path, min(n, args.pool), args.repeats)
            result["points"].append({"points": n, "spec_bytes": spec_path.stat().st_size, "times_s": times,
                                     "median_s": statistics.median(times)})
    print(json.dumps({k: v for k, v in result.items() if k != "machine"}, indent=1))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
