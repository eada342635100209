"""annotator.store.examples: the text hash that finds duplicates."""

from __future__ import annotations


def test_text_hash_ignores_spacing_and_unicode_form():
    from annotator.store.examples import text_hash

    assert text_hash("caf\u00e9  au\tlait\n") == text_hash(" cafe\u0301 au lait")
    assert text_hash("a\u2003b") == text_hash("a b")  # any Unicode space
    assert text_hash("a b") != text_hash("ab") and text_hash("A") != text_hash("a")
