"""A bad value already stored in an old project's database never takes the app down."""

from __future__ import annotations

BAD = "INSERT INTO settings(key, value) VALUES ('overlap_fraction', 'NaN'), ('read_pause_ms', '1e+23')"


def test_labeling_page_works_on_defaults_and_a_lead_is_told_once(ui_project, db, sign_in_app):
    with db.conn:
        db.execute(BAD)
    at = sign_in_app("ann")
    assert not at.exception and len(at.text) == 1  # a text to label
    assert not at.warning  # annotators cannot fix it; they are not bothered
    [b for b in at.button if b.label == "billing"][0].click().run()
    assert not at.exception
    assert db.execute("SELECT COUNT(*) FROM labels").fetchone()[0] == 1

    lead = sign_in_app("lead")
    warned = [w.value for w in lead.warning]
    assert len(warned) == 1 and "overlap\\_fraction" in warned[0] and "read\\_pause\\_ms" in warned[0]
    lead.run()
    assert not lead.warning  # once per session
