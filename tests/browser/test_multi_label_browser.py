"""A real browser labels two texts of a multi-label project with two labels each, from the keyboard
only (label keys toggle, Enter submits), and the database holds exactly those sets."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.services.imports import import_file
from annotator.services.passwords import hash_password
from annotator.services.projects import create_project, open_project
from annotator.services.settings import set_settings
from annotator.store.label_sets import current_label_sets
from annotator.store.users import insert_user
from tests.browser.test_labeling_browser import PASSWORD, TEXT, _sign_in, _wait_for_new_text, _wait_for_read_pause
from tests.helpers.files import write_csv

pytestmark = pytest.mark.browser

LABELS = ["billing", "shipping", "technical", "account"]
SUBMIT = ".st-key-ll_submit button"


@pytest.fixture
def multi_project(tmp_path: Path, tiny_model_dir: Path) -> Path:
    folder = tmp_path / "multi_browser"
    with create_project(folder, LABELS, multi_label=True) as project:
        set_settings(project.db, model=str(tiny_model_dir), read_pause_ms=300)
        insert_user(project.db, "ann", "annotator", hash_password(PASSWORD))
        texts = [{"text": f"Ticket {i}: my invoice and my parcel are both wrong"} for i in range(6)]
        import_file(project, write_csv(tmp_path / "pool.csv", texts))
    return folder


def _toggle(page, key: str, expected: str) -> None:
    """Press a label key and wait until the Enter button names the chosen set."""
    page.keyboard.press(key)
    page.wait_for_function("([sel, want]) => { const b = document.querySelector(sel); "
                           "return b && b.innerText.includes(want); }", arg=[SUBMIT, expected], timeout=30_000)


def test_two_texts_get_two_labels_each_from_the_keyboard(chromium, serve_project, multi_project):
    served = serve_project(multi_project, worker=False)
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    try:
        _sign_in(page, served.url)
        done = []
        for first, second in (("1", "3"), ("2", "4")):
            shown = page.locator(TEXT).inner_text()
            names = [LABELS[int(first) - 1], LABELS[int(second) - 1]]
            page.keyboard.press(first)  # two labels typed fast: the second waits for the card, never dropped
            _toggle(page, second, f"Submit {names[0]} + {names[1]}")
            page.keyboard.press("Enter")
            done.append((shown, names))
            _wait_for_new_text(page, shown)
            _wait_for_read_pause(page)
    finally:
        page.close()
        served.stop()
    with open_project(multi_project) as project:
        texts = dict(project.db.execute("SELECT id, text FROM examples").fetchall())
        rows = current_label_sets(project.db)
        assert {texts[row["example_id"]]: (row["names"], row["annotator"]) for row in rows} == {
            text: (names, "ann") for text, names in done}
        assert project.db.execute("SELECT COUNT(*) FROM labels").fetchone()[0] == 2
