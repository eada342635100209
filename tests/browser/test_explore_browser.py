"""A real browser on the Explore page: an annotator signs in, searches, opens a result by its deep link,
labels it with a key, and the database holds the label with the search as provenance; no bulk label for
an annotator."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from annotator.services.demo import DEMO_LABELS
from annotator.services.imports import import_file
from annotator.services.passwords import hash_password
from annotator.services.projects import create_project, open_project
from annotator.store.users import insert_user

pytestmark = pytest.mark.browser

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "support_tickets.csv"
PASSWORD = "browser-pass"
CARD_TEXT = '.st-key-ll_text [data-testid="stText"]'


@pytest.fixture
def explore_project(tmp_path: Path) -> tuple[Path, list[str]]:
    """Thirty real tickets without labels, an annotator and a lead."""
    folder = tmp_path / "explore_project"
    with create_project(folder, DEMO_LABELS) as project:
        insert_user(project.db, "ann", "annotator", hash_password(PASSWORD))
        insert_user(project.db, "lead", "lead", hash_password(PASSWORD))
        pool = tmp_path / "pool.csv"
        with SAMPLE.open(encoding="utf-8") as source, pool.open("w", newline="", encoding="utf-8") as out:
            rows = list(csv.DictReader(source))[:30]
            writer = csv.writer(out)
            writer.writerow(["id", "text"])
            writer.writerows((row["id"], row["text"]) for row in rows)
        import_file(project, pool, id_column="id")
    return folder, [row["text"] for row in rows]


def _sign_in(page, url: str, name: str) -> None:
    page.goto(url)
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.keyboard.press("Enter")
    page.get_by_role("link", name="Explore").wait_for(timeout=60_000)


def test_search_open_by_deep_link_and_label(chromium, serve_project, explore_project):
    folder, texts = explore_project
    word = next(w for w in texts[0].split() if len(w) > 5 and w.isalpha())
    expected = [t for t in texts if word.casefold() in t.casefold()]
    served = serve_project(folder, worker=False)
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        _sign_in(page, served.url, "ann")
        page.get_by_role("link", name="Explore").click()
        page.get_by_role("heading", name="Explore", level=1).wait_for(timeout=60_000)
        assert page.get_by_text("Label in bulk").count() == 0  # an annotator cannot bulk-label
        page.get_by_label("Search by").click()
        page.get_by_role("option", name="Words").click()
        page.get_by_label("Search for").fill(word)
        page.get_by_role("button", name="Search").click()
        page.get_by_text(f"{len(expected)} match").first.wait_for(timeout=60_000)
        page.wait_for_url(re.compile(rf"mode=words.*q={word}"), timeout=30_000)  # the search has an address

        link = page.locator(f'[data-testid="stPageLink-NavLink"][href*="q={word}"]').first
        link.wait_for(timeout=60_000)
        href = link.get_attribute("href")
        assert "item=" in href and f"q={word}" in href  # each result's deep link
        item = int(href.split("item=")[1].split("&")[0])
        link.click()
        page.locator(CARD_TEXT).wait_for(timeout=60_000)
        page.wait_for_url(re.compile(rf"[?&]item={item}(&|$)"), timeout=30_000)  # the open text's address
        shown = page.locator(CARD_TEXT).inner_text()
        assert word.casefold() in shown.casefold()
        page.wait_for_timeout(1500)  # past the read pause after the card appeared
        page.keyboard.press("2")
        page.get_by_text(f"Saved {DEMO_LABELS[1]} for text #{item}.").wait_for(timeout=60_000)

        # the deep link typed into a new tab of the same browser (signed in by its cookie)
        other_id = next(i for i in range(1, len(texts) + 1) if i != item)
        tab = page.context.new_page()
        tab.goto(f"{served.url}/explore?item={other_id}")
        tab.locator(CARD_TEXT).wait_for(timeout=60_000)
        assert tab.get_by_role("heading", name=f"Text #{other_id}").count() == 1
        tab.close()
    finally:
        context.close()

    with open_project(folder) as project:
        rows = project.db.execute(
            "SELECT l.label, l.annotator, l.strategy, l.search_query, e.text FROM labels l "
            "JOIN examples e ON e.id = l.example_id WHERE l.example_id = ?", (item,)).fetchall()
    assert len(rows) == 1
    label, annotator, strategy, query, text = rows[0]
    assert (label, annotator, strategy) == (DEMO_LABELS[1], "ann", "search") and text == shown
    assert json.loads(query) == {"mode": "words", "query": word}
