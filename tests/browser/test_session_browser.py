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
from tests.browser.test_labeling_browser import TEXT, _wait_for_read_pause

pytestmark = pytest.mark.browser

PASSWORD = "browser-pass"


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
        _wait_for_read_pause(page)
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


NOT_FOUND = '[role="dialog"]:has-text("Page not found")'


def _at(page, path: str) -> None:
    """Wait until the address is /path; say where the page is otherwise."""
    try:
        page.wait_for_function("p => location.pathname.replace(/\\/$/, '').endsWith(p)", arg="/" + path,
                               timeout=60_000)
    except Exception as error:
        raise AssertionError(f"expected /{path}, at {page.url}: {page.inner_text('body')[:300]!r}") from error


def test_every_page_has_an_address_once_signed_in(chromium, serve_project, tmp_path):
    # A typed address, a reload and a bookmark open the page, the role's home page too (Streamlit
    # serves its default page at "/" only: /dashboard as a lead's default would be "Page not
    # found", a dialog that makes the rest of the page inert); "/" opens the home page.
    folder = tmp_path / "address_project"
    with create_project(folder, ["a", "b"]) as project:
        insert_user(project.db, "lead", "lead", hash_password(PASSWORD, cost=TEST_ONLY_COST))
        insert_user(project.db, "ann", "annotator", hash_password(PASSWORD, cost=TEST_ONLY_COST))
        pool = tmp_path / "pool.csv"
        pool.write_text("text\n" + "".join(f"ticket number {i}\n" for i in range(5)), encoding="utf-8")
        import_file(project, pool)
    served = serve_project(folder, worker=False)
    headings = {"dashboard": "Dashboard", "review": "Review", "export": "Export", "users": "Users",
                "project": "Project", "explore": "Explore"}
    for name, home, pages in [("lead", "dashboard", headings), ("ann", "label", {"explore": "Explore"})]:
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        try:
            page.goto(served.url)
            page.get_by_label("User name").fill(name)
            page.get_by_label("Password", exact=True).fill(PASSWORD)
            page.keyboard.press("Enter")
            page.wait_for_function("() => !document.querySelector('input[type=password]')", timeout=60_000)
            _at(page, home)
            for path, heading in [("", None), (home, None), *pages.items()]:
                page.goto(f"{served.url}/{path}")
                _at(page, path or home)
                page.get_by_role("button", name="Sign out").wait_for(timeout=60_000)
                if heading is not None:
                    page.get_by_role("heading", name=heading, level=1).wait_for(timeout=60_000)
                assert page.locator(NOT_FOUND).count() == 0, f"/{path} as {name}: Page not found"
                # the menu is not behind a dialog: its links take a click
                page.locator('[data-testid="stSidebarNavLink"]').first.click(trial=True, timeout=10_000)
        finally:
            context.close()
    assert _count(folder, "SELECT COUNT(*) FROM leases WHERE annotator = 'lead'") == 0
