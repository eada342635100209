"""A real browser labels five texts with the keyboard only, undoes one, double-presses and
double-clicks, and the database agrees."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from annotator.app import page_scripts
from annotator.services.demo import DEMO_LABELS
from annotator.services.imports import import_file
from annotator.services.passwords import hash_password
from annotator.services.projects import create_project, open_project
from annotator.services.settings import set_settings
from annotator.store.users import insert_user

pytestmark = pytest.mark.browser

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "support_tickets.csv"
TEXT = '.st-key-ll_text [data-testid="stText"]'
PASSWORD = "browser-pass"
# Longer than the default, so a key the test presses "right after the text shows" lands in it
# even on a loaded machine (the test checks that it did).
READ_PAUSE_MS = 1000
# Runs before the page's scripts, so it sees every key and click before the page's listeners
# can drop it: what was on screen then, and whether the read pause was on.
WATCH_PRESSES = """
window.__presses = [];
const note = (what) => {
  const text = document.querySelector(%s);
  window.__presses.push({what, text: text ? text.innerText : null,
                         paused: performance.now() < (document.llPausedUntil || 0)});
};
window.addEventListener('keydown', (event) => note('key ' + event.key), true);
window.addEventListener('click', (event) => {
  if (event.target.closest && event.target.closest('.st-key-ll_labels')) { note('click'); }
}, true);
""" % json.dumps(TEXT)


@pytest.fixture
def tiny_project(tmp_path: Path, tiny_model_dir: Path) -> Path:
    """Forty real support tickets (no labels), the demo label set, the tiny model, two users."""
    folder = tmp_path / "browser_project"
    with create_project(folder, DEMO_LABELS) as project:
        set_settings(project.db, model=str(tiny_model_dir), batch_size=3, finetune_every=1000,
                     read_pause_ms=READ_PAUSE_MS, guidelines="# Guidelines\nPick the **main** topic.")
        insert_user(project.db, "ann", "annotator", hash_password(PASSWORD))
        insert_user(project.db, "lead", "lead", hash_password(PASSWORD))
        pool = tmp_path / "pool.csv"
        with SAMPLE.open(encoding="utf-8") as source, pool.open("w", newline="", encoding="utf-8") as out:
            rows = list(csv.DictReader(source))[:40]
            writer = csv.writer(out)
            writer.writerow(["id", "text"])
            writer.writerows((row["id"], row["text"]) for row in rows)
        import_file(project, pool, id_column="id")
    return folder


def _wait_for_new_text(page, before: str, log: Path | None = None) -> str:
    """The next text on the card; on a timeout, what the page had seen and the server's log."""
    try:
        page.wait_for_function(
            "([sel, t]) => { const e = document.querySelector(sel); return e && e.innerText !== t; }",
            arg=[TEXT, before], timeout=30_000,
        )
    except Exception as error:  # say what the page had seen, not only that it timed out
        shown = page.locator('[data-testid="stException"], [data-testid="stAlert"]').all_inner_texts()
        server = log.read_text()[-3000:] if log is not None else ""
        raise AssertionError(f"no new text after {before!r}; presses: {_presses(page)}; "
                             f"alerts: {shown}; server log:\n{server}") from error
    return page.locator(TEXT).inner_text()


def _wait_for_read_pause(page) -> None:
    """Until the card is drawn whole and the read pause after its new text is over (keys act again).

    The page notes a new text, and starts its pause, when the card's closing marker changes; a new
    text can be on screen a moment before that on a loaded machine, and a key pressed then is held
    for the card and dropped by the pause that starts when it is ready."""
    page.wait_for_function(
        """([start, end]) => {
          const marker = (name) => {
            const found = document.querySelector('.st-key-ll_text [' + name + ']');
            return found ? found.getAttribute(name) : null;
          };
          return marker(start) !== null && marker(start) === marker(end)
            && performance.now() >= (document.llPausedUntil || 0);
        }""",
        arg=[page_scripts.CARD_START, page_scripts.CARD_END], timeout=30_000,
    )


def _presses(page) -> list[dict]:
    return page.evaluate("() => window.__presses")


def _sign_in(page, url: str, name: str = "ann") -> None:
    """Sign in (at the Label page's address: a lead lands on the Dashboard otherwise); return once
    the text is up, the form is gone and nothing has the focus.

    (Streamlit keeps the previous page's elements until a rerun ends; a key typed into a
    stale password box would never reach the labeling page.)
    """
    page.goto(url.rstrip("/") + "/label")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.keyboard.press("Enter")
    page.locator(TEXT).wait_for(timeout=60_000)
    page.wait_for_function("() => !document.querySelector('input[type=password]')", timeout=60_000)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")


def _labels_by_ann(project: Path) -> list[tuple]:
    """(text, label, superseded, superseded_reason, model_version, strategy, seconds), oldest first."""
    with open_project(project) as opened:
        return opened.db.execute(
            "SELECT e.text, l.label, l.superseded, l.superseded_reason, l.model_version, l.strategy, "
            "l.seconds FROM labels l JOIN examples e ON e.id = l.example_id "
            "WHERE l.annotator = 'ann' ORDER BY l.id"
        ).fetchall()


def test_label_five_texts_by_keyboard_then_undo(chromium, serve_project, tiny_project, tmp_path, is_alive):
    served = serve_project(tiny_project)
    assert len(served.children) == 2, served.log_path.read_text()  # the app and the worker
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.add_init_script(WATCH_PRESSES)
    try:
        _sign_in(page, served.url)
        shown = page.locator(TEXT).inner_text()
        # Undo with nothing to undo: the card is drawn again, so the next key is not held back.
        page.keyboard.press("u")
        page.get_by_text("Nothing to undo.").wait_for(timeout=30_000)
        _wait_for_read_pause(page)

        keys = ["1", "2", "3", "4", "2"]
        done: list[tuple[str, str]] = []
        for key in keys:
            done.append((shown, DEMO_LABELS[int(key) - 1]))
            page.keyboard.press(key)
            shown = _wait_for_new_text(page, shown, served.log_path)
            _wait_for_read_pause(page)
        page.keyboard.press("u")
        back = _wait_for_new_text(page, shown, served.log_path)
        assert back == done[-1][0]  # undo returns to the last labeled text
        _wait_for_read_pause(page)

        # A double press: the second key lands before the next text shows (the in-flight
        # guard drops it) or just after (the read pause drops it); either way it labels nothing.
        page.keyboard.press("3")
        page.keyboard.press("1")
        after = _wait_for_new_text(page, back, served.log_path)
        # A key the moment a new text shows is dropped too.
        page.keyboard.press("2")
        # A double click on a label button: one label, on the text that was clicked.
        _wait_for_read_pause(page)
        first_button = page.locator(".st-key-ll_labels button").first
        first_button.click()
        first_button.click(no_wait_after=True)
        last = _wait_for_new_text(page, after, served.log_path)
        _wait_for_read_pause(page)
        page.wait_for_timeout(500)  # time for the answer to a press that was not dropped
        assert page.locator(TEXT).inner_text() == last
        presses = _presses(page)
        second_key, early_key = [p for p in presses if p["what"] in ("key 1", "key 2")][-2:]
        second_click = [p for p in presses if p["what"] == "click"][-1]
        # Each dropped press came while its text was still on screen or in the read pause:
        # what the guard and the pause are for (if not, the machine was too slow to test them).
        assert second_key["text"] == back or second_key["paused"], second_key
        assert early_key["text"] == after and early_key["paused"], early_key
        assert second_click["text"] == after or second_click["paused"], second_click
        page.screenshot(path=str(tmp_path / "labeling.png"), full_page=True)

        # sign out: back to the sign-in form (the labeling page is not in a signed-out menu)
        page.get_by_role("button", name="Sign out").click()
        page.get_by_label("User name").wait_for(timeout=30_000)
        assert page.locator(TEXT).count() == 0
    finally:
        page.close()

    rows = _labels_by_ann(tiny_project)
    assert [(text, label) for text, label, *_ in rows] == done + [(back, DEMO_LABELS[2]), (after, DEMO_LABELS[0])]
    assert [(superseded, reason) for _, _, superseded, reason, *_ in rows] == (
        [(0, None)] * 4 + [(1, "undo"), (0, None), (0, None)]
    )
    for _, _, _, _, version, strategy, seconds in rows:
        # before the worker's first ranking a text comes unranked, and says so
        assert (version is not None and strategy) or strategy == "unranked"
        assert seconds is not None and seconds > 0

    children = list(served.children)
    assert served.stop() == 0
    assert not any(is_alive(pid) for pid in children)


def test_a_key_pressed_before_the_buttons_load_is_not_lost(chromium, serve_project, tiny_project):
    """Streamlit loads its button code lazily, so on the first page the text can show before
    any key works. Here that code is held back until after the key: the key still labels the
    text that was on screen, once its button is there."""
    served = serve_project(tiny_project, worker=False)
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    held = []

    def hold(route) -> None:
        held.append(route)

    page.route("**/static/js/Button.*.js", hold)
    try:
        _sign_in(page, served.url)
        page.wait_for_function("() => document.llKeyboardInstalled === true", timeout=30_000)
        assert page.locator('.st-key-ll_labels button').count() == 0 and held
        shown = page.locator(TEXT).inner_text()
        page.keyboard.press("2")
        page.wait_for_timeout(200)
        assert _labels_by_ann(tiny_project) == []  # nothing could act on it yet
        for route in held:
            route.continue_()
        page.unroute("**/static/js/Button.*.js")
        _wait_for_new_text(page, shown)
    finally:
        page.close()
    assert [(text, label) for text, label, *_ in _labels_by_ann(tiny_project)] == [(shown, DEMO_LABELS[1])]


RAW = "<b>not bold</b> <img src=x onerror=\"window.__pwned=1\"> <script>window.__pwned=2</script>\n\n# no heading\n**no bold**"


def test_text_is_shown_as_typed_and_menus_follow_the_role(chromium, serve_project, tmp_path):
    folder = tmp_path / "literal_project"
    with create_project(folder, ["a", "b"]) as project:
        insert_user(project.db, "ann", "annotator", hash_password(PASSWORD))
        insert_user(project.db, "lead", "lead", hash_password(PASSWORD))
        pool = tmp_path / "literal.jsonl"
        # one text for each user: the first stays leased to the annotator
        pool.write_text("".join(json.dumps({"text": RAW + end}) + "\n" for end in ("", " 2")), encoding="utf-8")
        import_file(project, pool)
    served = serve_project(folder, worker=False)
    for name, sees_lead_pages in (("ann", False), ("lead", True)):
        page = chromium.new_page(viewport={"width": 1280, "height": 900})
        try:
            _sign_in(page, served.url, name)
            box = page.locator(TEXT)
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
