"""annotator.app.keys: a key for each label, and markdown escaped so names show as typed."""

from __future__ import annotations

from annotator.app import keys


def test_markdown_escaping_keeps_label_names_as_typed():
    assert keys.escape_markdown("a*b_[c](d)") == r"a\*b\_\[c\]\(d\)"
    assert keys.assign_keys(["x", "y"]) == ["1", "2"]
