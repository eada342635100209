"""annotator.services.flags: flags take a text out of the queue until a lead returns it; comments reach the lead;
both are exported."""

from __future__ import annotations

import pytest

from annotator.errors import AuthError, InputError
from annotator.services import flags, queue
from annotator.services.exports import final_labels, raw_labels
from annotator.services.passwords import TEST_ONLY_COST
from annotator.services.users import add_user


@pytest.fixture
def team(pool_project):
    add_user(pool_project.db, "lead", "lead", "password-1", cost=TEST_ONLY_COST)
    add_user(pool_project.db, "ann", "annotator", "password-1", cost=TEST_ONLY_COST)
    return pool_project


def _served_ids(project, n: int) -> set[int]:
    return {queue.next_item(project, f"probe{i}").example_id for i in range(n)}


def test_a_flag_takes_the_text_out_of_the_queue_until_a_lead_returns_it(team):
    item = queue.next_item(team, "ann")
    flags.flag_text(team, "ann", item.example_id, "ambiguous", "  billing or account?  ")
    assert team.db.execute("SELECT COUNT(*) FROM leases WHERE annotator = 'ann'").fetchone()[0] == 0
    assert item.example_id not in _served_ids(team, 59)  # the other 59 texts, each to someone
    assert flags.counts(team) == {"flagged": 1, "excluded": 0, "unread_comments": 0}
    (listed,) = flags.flagged(team)
    assert listed["example_id"] == item.example_id
    assert [(f["annotator"], f["reason"], f["note"]) for f in listed["flags"]] == [
        ("ann", "ambiguous", "billing or account?")]
    with pytest.raises(AuthError):
        flags.settle_flag(team, "ann", item.example_id, "return")
    team.db.execute("DELETE FROM leases")
    flags.settle_flag(team, "lead", item.example_id, "exclude")
    assert item.example_id not in _served_ids(team, 59)
    assert flags.counts(team)["excluded"] == 1
    flags.return_text(team, "lead", item.example_id)
    team.db.execute("DELETE FROM leases")
    assert item.example_id in _served_ids(team, 60)
    with pytest.raises(InputError, match="no open flag"):
        flags.settle_flag(team, "lead", item.example_id, "return")


def test_bad_flags_and_comments_change_nothing(team):
    item = queue.next_item(team, "ann")
    for call, message in (
        (lambda: flags.flag_text(team, "ann", item.example_id, "spam"), "unknown flag reason"),
        (lambda: flags.flag_text(team, "ann", item.example_id, "other", "  "), "write the note first"),
        (lambda: flags.flag_text(team, "ann", 10**9, "broken"), "no text with id"),
        (lambda: flags.add_comment(team, "ann", item.example_id, ""), "write the comment first"),
        (lambda: flags.add_comment(team, "ann", item.example_id, "x" * 5000), "keep it under"),
    ):
        with pytest.raises(InputError, match=message):
            call()
    assert team.db.execute("SELECT (SELECT COUNT(*) FROM flags) + (SELECT COUNT(*) FROM comments)").fetchone() == (0,)
    assert team.db.execute("SELECT COUNT(*) FROM leases WHERE annotator = 'ann'").fetchone()[0] == 1


def test_comments_are_read_by_a_lead(team):
    item = queue.next_item(team, "ann")
    comment = flags.add_comment(team, "ann", item.example_id, "Is this a refund?")
    assert [c["body"] for c in flags.unread_comments(team)] == ["Is this a refund?"]
    assert flags.mark_read(team, "lead", comment)
    assert flags.unread_comments(team) == [] and flags.counts(team)["unread_comments"] == 0


def test_flags_and_comments_are_exported(team):
    first = queue.next_item(team, "ann")
    queue.save_label(team, "ann", first.example_id, "pos")
    flags.add_comment(team, "ann", first.example_id, "sarcasm?")
    flags.flag_text(team, "ann", first.example_id, "offensive")
    second = queue.next_item(team, "ann")
    flags.flag_text(team, "ann", second.example_id, "broken", "cut off")
    (final,) = final_labels(team)
    assert final["flags"] == ["offensive (ann)"] and final["comments"] == ["ann: sarcasm?"]
    flags.settle_flag(team, "lead", first.example_id, "return")
    assert final_labels(team)[0]["flags"] == ["offensive (ann) [returned]"]
    raw = raw_labels(team)
    notes = [(r["kind"], r["example_id"], r["annotator"], r["note"], r["superseded_reason"]) for r in raw
             if r["kind"] in ("flag", "comment")]
    assert notes == [
        ("comment", first.example_id, "ann", "sarcasm?", None),
        ("flag", first.example_id, "ann", "offensive", "returned"),
        ("flag", second.example_id, "ann", "broken: cut off", None),
    ]
    assert [r["kind"] for r in raw][:1] == ["annotation"]
