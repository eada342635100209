"""Take the README's screenshot of the labeling page (docs/labeling.png) from the demo, as a new user sees it.

Creates the demo project in a scratch folder (``labelloop demo``'s: three annotators' first days
already in it), serves it with the worker as ``labelloop demo`` does, waits for the worker's first
model (trained on the demo's labels), signs in as ``annotator`` and saves the Label page: a text
with its context columns, the model's suggestion marked on its button, the keys.

    python scripts/screenshot_labeling.py [--out docs/labeling.png]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from demo_server import CHROMIUM, CHROMIUM_ARGS, served_demo, sign_in

TEXT = '.st-key-ll_text [data-testid="stText"]'


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/labeling.png"))
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    with served_demo(Path(tempfile.mkdtemp(prefix="labelloop_shot_"))) as (url, passwords), \
            sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 760}, device_scale_factor=1)
        sign_in(page, url, "annotator", passwords["annotator"])
        page.locator(TEXT).wait_for(timeout=60_000)
        page.locator(".st-key-ll_accept").wait_for(timeout=60_000)  # the suggestion, marked
        page.wait_for_timeout(3500)  # one status refresh
        args.out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(args.out))
        browser.close()
    print(f"saved {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
