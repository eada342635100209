"""Take the README's screenshot of the lead dashboard (docs/dashboard.png) from the demo, as a new user sees it.

Creates the demo project in a scratch folder (``labelloop demo``'s: three annotators' first three
days, with blind overlap, disagreements, flags and comments, made through the app's own calls),
serves it with the worker as ``labelloop demo`` does, waits for the worker's first model measured
on the evaluation set, signs in as ``lead`` (who lands on the Dashboard) and saves the whole page.

    python scripts/screenshot_dashboard.py [--out docs/dashboard.png]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from demo_server import CHROMIUM, CHROMIUM_ARGS, served_demo, sign_in


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/dashboard.png"))
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    with served_demo(Path(tempfile.mkdtemp(prefix="labelloop_dash_"))) as (url, passwords), \
            sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # Streamlit scrolls inside its own container: a tall viewport captures the whole page.
        page = browser.new_page(viewport={"width": 1400, "height": 4400}, device_scale_factor=1)
        sign_in(page, url, "lead", passwords["lead"])
        page.get_by_role("heading", name="Stopping signal").wait_for(timeout=120_000)
        page.locator('[data-testid="stVegaLiteChart"]').nth(6).wait_for(timeout=60_000)
        page.wait_for_timeout(2500)  # let the charts finish drawing
        height = page.evaluate("document.querySelector('[data-testid=\"stMainBlockContainer\"]').scrollHeight")
        page.set_viewport_size({"width": 1400, "height": int(height) + 40})
        page.wait_for_timeout(1500)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(args.out), full_page=True)
        browser.close()
    print(f"saved {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
