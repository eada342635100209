"""annotator.app.labeling: what the labeling card shows of a text."""

from __future__ import annotations


def test_invisible_and_direction_changing_characters_are_shown_as_markers():
    from annotator.app.labeling import visible_text

    assert visible_text("invoice\u202eexe.txt") == "invoice⟦U+202E RIGHT-TO-LEFT OVERRIDE⟧exe.txt"
    assert visible_text("a\u200bb") == "a⟦U+200B ZERO WIDTH SPACE⟧b"
    assert visible_text("bell\x07") == "bell⟦U+0007⟧"
    plain = "line one\nline two\tTabbed — ünïcödé 中文 😀"
    assert visible_text(plain) == plain
