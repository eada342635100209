"""The labeling page's browser scripts: what Streamlit's st.html will and will not run."""

from __future__ import annotations

import re

from annotator.app import page_scripts

# DOMPurify (which st.html runs every body through) drops a whole <script> whose text holds
# "<" followed by a letter, "/" or "!": the script then silently never runs.
_TAG_LIKE = re.compile(r"<[/\w!]")


def _script_texts(html: str) -> list[str]:
    return re.findall(r"<script>(.*?)</script>", html, flags=re.DOTALL)


def test_scripts_hold_nothing_that_st_html_would_strip():
    scripts = [page_scripts.keyboard_script(["1", "a", "s", "u"], read_pause_ms=250),
               page_scripts.focus_script(".x input", 3)]
    for html in scripts:
        texts = _script_texts(html)
        assert len(texts) == 1
        assert not _TAG_LIKE.search(texts[0]), _TAG_LIKE.search(texts[0])


def test_keyboard_script_knows_each_action_key_once_in_lower_case():
    html = page_scripts.keyboard_script(["1", "A", "a", "s", "", "u"])
    assert 'new Set(["1", "a", "s", "u"])' in html
    assert str(page_scripts.GUARD_TIMEOUT_MS) in html and str(page_scripts.REPLAY_MS) in html


def test_keyboard_script_carries_the_read_pause():
    assert "doc.llReadPauseMs = 250;" in page_scripts.keyboard_script(["1"], read_pause_ms=250)
    assert "doc.llReadPauseMs = 0;" in page_scripts.keyboard_script(["1"])
    assert "doc.llReadPauseMs = 0;" in page_scripts.keyboard_script(["1"], read_pause_ms=-5)


def test_card_markers_hold_the_drawing_and_are_hidden_by_the_style():
    opening, closing = page_scripts.card_marker(7, end=False), page_scripts.card_marker(7, end=True)
    assert opening == f'<span {page_scripts.CARD_START}="7"></span>'
    assert closing == f'<span {page_scripts.CARD_END}="7"></span>'
    assert page_scripts.card_marker(8, end=True) != closing
    hidden = f":has([{page_scripts.CARD_START}], [{page_scripts.CARD_END}]) {{ display: none; }}"
    assert hidden in page_scripts.TEXT_STYLE
    script = page_scripts.keyboard_script(["1"])
    assert page_scripts.CARD_START in script and page_scripts.CARD_END in script


def test_focus_script_changes_with_its_nonce():
    assert page_scripts.focus_script(".x", 1) != page_scripts.focus_script(".x", 2)
