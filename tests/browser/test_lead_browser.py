"""A lead in a real browser: signs in, sees the dashboard, adjudicates a disagreement, downloads an export."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from annotator.services.demo import DEMO_LABELS
from annotator.services.imports import import_file
from annotator.services.passwords import hash_password
from annotator.services.projects import create_project, open_project
from annotator.store.examples import ids_by_hash, text_hash
from annotator.store.labels import add_label, label_history
from annotator.store.users import insert_user

pytestmark = pytest.mark.browser

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "support_tickets.csv"
PASSWORD = "browser-pass"


@pytest.fixture
def lead_browser_project(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    """Twenty real tickets, a lead and two annotators who labeled the first eight (one disagreement)."""
    folder = tmp_path / "lead_browser_project"
    with create_project(folder, DEMO_LABELS) as project:
        for name, role in (("lead", "lead"), ("ann1", "annotator"), ("ann2", "annotator")):
            insert_user(project.db, name, role, hash_password(PASSWORD))
        pool = tmp_path / "pool.csv"
        with SAMPLE.open(encoding="utf-8") as source, pool.open("w", newline="", encoding="utf-8") as out:
            rows = list(csv.DictReader(source))[:20]
            writer = csv.writer(out)
            writer.writerow(["id", "text"])
            writer.writerows((row["id"], row["text"]) for row in rows)
        import_file(project, pool, id_column="id")
        found = ids_by_hash(project.db.conn, [text_hash(row["text"]) for row in rows])
        ids = [found[text_hash(row["text"])] for row in rows]
        for k in range(8):
            add_label(project.db, ids[k], rows[k]["label"], "ann1", seconds=5.0)
            second = rows[k]["label"] if k != 3 else next(name for name in DEMO_LABELS if name != rows[k]["label"])
            add_label(project.db, ids[k], second, "ann2", seconds=7.0)
        disputed = {"id": ids[3], "gold": rows[3]["label"]}
    return folder, disputed


def _sign_in(page, url: str) -> None:
    page.goto(url)
    page.get_by_label("User name").fill("lead")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.keyboard.press("Enter")


def _open(page, title: str) -> None:
    page.get_by_role("link", name=title).click()
    page.get_by_role("heading", name=title, level=1).wait_for(timeout=60_000)


def test_lead_dashboard_adjudication_and_export(chromium, serve_project, lead_browser_project, tmp_path):
    folder, disputed = lead_browser_project
    served = serve_project(folder, worker=False)
    page = chromium.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    try:
        _sign_in(page, served.url)
        page.get_by_role("link", name="Dashboard").wait_for(timeout=60_000)

        _open(page, "Dashboard")
        page.get_by_role("heading", name="Stopping signal").wait_for(timeout=60_000)  # the last section
        page.get_by_text("Krippendorff's α (nominal)").wait_for(timeout=30_000)
        assert page.locator('[data-testid="stMetric"]').count() >= 9
        charts = page.locator('[data-testid="stVegaLiteChart"]')
        charts.nth(2).wait_for(timeout=60_000)
        assert charts.count() >= 3
        page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)

        _open(page, "Review")
        card = page.locator(f".st-key-ll_disagreement_{disputed['id']}")
        card.wait_for(timeout=30_000)
        card.get_by_role("button", name=disputed["gold"], exact=True).click()
        # the confirmation shows on the page and in a toast: the page's own
        page.get_by_test_id("stMainBlockContainer").get_by_text(
            f"Item {disputed['id']}: final label set to {disputed['gold']}").wait_for(timeout=30_000)
        page.get_by_text("No open disagreements.").wait_for(timeout=30_000)
        assert card.count() == 0

        _open(page, "Export")
        page.get_by_role("button", name="Prepare export").click()
        download_button = page.get_by_role("button", name="Download")
        download_button.wait_for(timeout=30_000)
        with page.expect_download(timeout=30_000) as info:
            download_button.click()
        saved = tmp_path / "export.csv"
        info.value.save_as(saved)
    finally:
        page.close()

    rows = list(csv.DictReader(saved.open(encoding="utf-8")))
    assert len(rows) == 8
    by_id = {int(row["example_id"]): row for row in rows}
    assert by_id[disputed["id"]]["label"] == disputed["gold"]
    assert by_id[disputed["id"]]["adjudicated_by"] == "lead"
    with open_project(folder) as project:
        kinds = [row["kind"] for row in label_history(project.db, disputed["id"])]
    assert kinds == ["annotation", "annotation", "adjudication"]
