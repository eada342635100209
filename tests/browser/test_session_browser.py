"""In a real browser, a label key pressed after the user was removed saves nothing, leases
nothing (the card is a fragment: without a full rerun it would lease the next text) and
lands on the sign-in page with the reason."""

from __future__ import annotations

import pytest

from annotator.app.session import SESSION_ENDED
from annotator.services.imports import import_file
from annotator.services.passwords import TEST_ONLY_COST, hash_password
from annotator.services.projects import create_project, open_project
from annotator.services.users import remove_user
from annotator.store.users import insert_user

pytestmark = pytest.mark.browser

PASSWORD = "browser-pass"
TEXT = '.st-key-ll_text [data-testid="stText"]'


def _count(folder, sql: str) -> int:
    with open_project(folder) as project:
        return project.db.execute(sql).fetchone()[0]


def test_a_removed_user_is_signed_out_by_the_next_key(chromium, serve_project, tmp_path):
    folder = tmp_path / "session_project"
    with create_project(folder, ["a", "b"]) as project:
        insert_user(project.db, "ann", "annotator", hash_password(PASSWORD, cost=TEST_ONLY_COST))
        pool = tmp_path / "pool.csv"
        pool.write_text("text\n" + "".join(f"ticket number {i}\n" for i in range(5)), encoding="utf-8")
        import_file(project, pool)
    served = serve_project(folder, worker=False)
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(served.url)
        page.get_by_label("User name").fill("ann")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.keyboard.press("Enter")
        page.locator(TEXT).wait_for(timeout=60_000)
        page.wait_for_function("() => !document.querySelector('input[type=password]')", timeout=60_000)
        page.wait_for_function("() => performance.now() >= (document.llPausedUntil || 0)", timeout=30_000)
        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        assert _count(folder, "SELECT COUNT(*) FROM leases WHERE annotator = 'ann'") == 1
        with open_project(folder) as project:
            remove_user(project.db, "ann")  # what `labelloop user remove ann` does
        page.keyboard.press("1")
        page.get_by_text(SESSION_ENDED).wait_for(timeout=30_000)
        page.get_by_label("User name").wait_for(timeout=30_000)  # a fragment rerun would have stayed on the card
    finally:
        page.close()
    assert _count(folder, "SELECT COUNT(*) FROM labels") == 0
    assert _count(folder, "SELECT COUNT(*) FROM leases WHERE annotator = 'ann'") == 0
