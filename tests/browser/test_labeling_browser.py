"""A real browser labels five texts with the keyboard only, undoes one, double-presses, and the database agrees."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from annotator.app.page_scripts import GUARD_TIMEOUT_MS
from annotator.demo import DEMO_LABELS
from annotator.importer import import_file
from annotator.passwords import hash_password
from annotator.store import create_project, open_project
from annotator.store.settings import set_settings
from annotator.store.users import add_user

pytestmark = pytest.mark.browser

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "support_tickets.csv"
TEXT = '.st-key-ll_text [data-testid="stText"]'
PASSWORD = "browser-pass"


@pytest.fixture
def tiny_project(tmp_path: Path, tiny_model_dir: Path) -> Path:
    """Forty real support tickets (no labels), the demo label set, the tiny model, two users."""
    folder = tmp_path / "browser_project"
    with create_project(folder, DEMO_LABELS) as project:
        set_settings(project.db, model=str(tiny_model_dir), batch_size=3, finetune_every=1000,
                     guidelines="# Guidelines\nPick the **main** topic.")
        add_user(project.db, "ann", "annotator", hash_password(PASSWORD))
        add_user(project.db, "lead", "lead", hash_password(PASSWORD))
        pool = tmp_path / "pool.csv"
        with SAMPLE.open(encoding="utf-8") as source, pool.open("w", newline="", encoding="utf-8") as out:
            rows = list(csv.DictReader(source))[:40]
            writer = csv.writer(out)
            writer.writerow(["id", "text"])
            writer.writerows((row["id"], row["text"]) for row in rows)
        import_file(project, pool, id_column="id")
    return folder


def _wait_for_new_text(page, before: str, timeout: float = 30_000) -> str:
    page.wait_for_function(
        "([sel, t]) => { const e = document.querySelector(sel); return e && e.innerText !== t; }",
        arg=[TEXT, before], timeout=timeout,
    )
    return page.locator(TEXT).inner_text()


def _wait_until_signed_in(page) -> None:
    """The labeling text is up, the sign-in form is gone and no input holds the focus.

    (Streamlit keeps the previous page's elements until a rerun ends; a key typed into a
    stale password box would never reach the page's shortcuts. This wait did not remove
    the lost first key described in ``_press_label_key``.)
    """
    page.locator(TEXT).wait_for(timeout=60_000)
    page.wait_for_function("() => !document.querySelector('input[type=password]')", timeout=60_000)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")


def _label_rows(project: Path) -> int:
    with open_project(project) as opened:
        return opened.db.execute("SELECT COUNT(*) FROM labels WHERE annotator = 'ann'").fetchone()[0]


def _press_label_key(page, key: str, before: str, project: Path) -> str:
    """Press a label key and wait for the next text.

    Known issue (see the closing note): about one run in eight on an idle machine, the
    first key after sign-in never reaches the app (no label row is written). Then the
    key is pressed once more, after the in-flight guard's timeout; a key that did save is
    never pressed twice.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    rows = _label_rows(project)
    page.keyboard.press(key)
    try:
        return _wait_for_new_text(page, before, timeout=5_000)
    except PlaywrightTimeout:
        if _label_rows(project) != rows:
            raise
    page.wait_for_timeout(GUARD_TIMEOUT_MS + 500)
    page.keyboard.press(key)
    return _wait_for_new_text(page, before)


def test_label_five_texts_by_keyboard_then_undo(chromium, serve_project, tiny_project, tmp_path, is_alive):
    served = serve_project(tiny_project)
    assert len(served.children) == 2, served.log_path.read_text()  # the app and the worker
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(served.url)
        page.get_by_label("User name").fill("ann")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.keyboard.press("Enter")
        _wait_until_signed_in(page)

        keys = ["1", "2", "3", "4", "2"]
        done: list[tuple[str, str]] = []
        shown = page.locator(TEXT).inner_text()
        for key in keys:
            done.append((shown, DEMO_LABELS[int(key) - 1]))
            shown = _press_label_key(page, key, shown, tiny_project)
        page.keyboard.press("u")
        back = _wait_for_new_text(page, shown)
        assert back == done[-1][0]  # undo returns to the last labeled text
        # A double press: the second key comes before the next text shows and is swallowed,
        # so it cannot label a text nobody has read.
        page.keyboard.press("3")
        page.keyboard.press("1")
        after = _wait_for_new_text(page, back)
        page.wait_for_timeout(1500)
        assert page.locator(TEXT).inner_text() == after
        page.screenshot(path=str(tmp_path / "labeling.png"), full_page=True)

        # sign out: back to the sign-in form (the labeling page is not in a signed-out menu)
        page.get_by_role("button", name="Sign out").click()
        page.get_by_label("User name").wait_for(timeout=30_000)
        assert page.locator(TEXT).count() == 0
    finally:
        page.close()

    with open_project(tiny_project) as project:
        rows = project.db.execute(
            "SELECT e.text, l.label, l.superseded, l.superseded_reason, l.model_version, l.strategy, "
            "l.seconds FROM labels l JOIN examples e ON e.id = l.example_id "
            "WHERE l.annotator = 'ann' ORDER BY l.id"
        ).fetchall()
    assert [(text, label) for text, label, *_ in rows] == done + [(done[-1][0], DEMO_LABELS[2])]
    assert [(superseded, reason) for _, _, superseded, reason, *_ in rows] == (
        [(0, None)] * 4 + [(1, "undo"), (0, None)]
    )
    for _, _, _, _, version, strategy, seconds in rows:
        assert version is not None and strategy
        assert seconds is not None and seconds > 0

    children = list(served.children)
    assert served.stop() == 0
    assert not any(is_alive(pid) for pid in children)


RAW = "<b>not bold</b> <img src=x onerror=\"window.__pwned=1\"> <script>window.__pwned=2</script>\n\n# no heading\n**no bold**"


def test_text_is_shown_as_typed_and_menus_follow_the_role(chromium, serve_project, tmp_path):
    folder = tmp_path / "literal_project"
    with create_project(folder, ["a", "b"]) as project:
        add_user(project.db, "ann", "annotator", hash_password(PASSWORD))
        add_user(project.db, "lead", "lead", hash_password(PASSWORD))
        pool = tmp_path / "literal.jsonl"
        # one text for each user: the first stays leased to the annotator
        pool.write_text("".join(json.dumps({"text": RAW + end}) + "\n" for end in ("", " 2")), encoding="utf-8")
        import_file(project, pool)
    served = serve_project(folder, worker=False)
    for name, sees_lead_pages in (("ann", False), ("lead", True)):
        page = chromium.new_page(viewport={"width": 1280, "height": 900})
        try:
            page.goto(served.url)
            page.get_by_label("User name").fill(name)
            page.get_by_label("Password", exact=True).fill(PASSWORD)
            page.keyboard.press("Enter")
            box = page.locator(TEXT)
            box.wait_for(timeout=60_000)
            assert box.inner_text() in (RAW, RAW + " 2")
            assert box.locator("b, img, script, h1").count() == 0
            assert page.evaluate("() => window.__pwned") is None
            nav = page.locator('[data-testid="stSidebarNav"]')
            if sees_lead_pages:
                nav.get_by_text("Dashboard").wait_for(timeout=30_000)
            else:
                assert nav.count() == 0 or nav.get_by_text("Dashboard").count() == 0
        finally:
            page.close()
