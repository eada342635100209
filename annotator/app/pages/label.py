"""The labeling page: one text at a time, one key per label, no confirm step.

The card (text, suggestion, label buttons, skip/undo) is a fragment, so a key
press reruns only the card: one save and one lease, nothing else. The training
status in the sidebar is a second fragment that refreshes itself every few
seconds. UI only: every read and write goes through annotator.services.queue.
"""

from __future__ import annotations

import time

import streamlit as st

from annotator.app import keys, page_scripts, session
from annotator.app.labeling import (
    format_ago,
    provenance_caption,
    remember_item,
    seconds_on_item,
    suggestion_caption,
    visible_text,
)
from annotator.errors import LabelloopError
from annotator.services import queue
from annotator.services.labelset import get_labels
from annotator.services.settings import get_setting

ITEM_KEY = session.ITEM_KEY
FLASH_KEY = "ll_flash"
FILTER_KEY = "ll_filter"
REFOCUS_KEY = "ll_refocus_filter"
HIDE_KEY = "ll_hide_suggestion"
DRAWING_KEY = "ll_card_drawings"
STATUS_EVERY_SECONDS = 5

user = session.require_page_role("annotator")
project = session.project()
labels = get_labels(project.db)
label_keys = keys.assign_keys(labels)

st.html(page_scripts.TEXT_STYLE)
st.html(page_scripts.keyboard_script([*label_keys, keys.SKIP_KEY, keys.UNDO_KEY],
                                     read_pause_ms=get_setting(project.db, "read_pause_ms")),
        unsafe_allow_javascript=True)


def _flash(kind: str, message: str) -> None:
    st.session_state[FLASH_KEY] = (kind, message)


def _on_label(example_id: int, label: str) -> None:
    who = session.authorized("annotator")
    item = st.session_state.get(ITEM_KEY)
    if who is None or item is None or item.example_id != example_id:
        return  # signed out meanwhile, or a second key press for a text already labeled
    late = item.lease_expires_at <= time.time()
    try:
        queue.save_label(session.project(), who.name, example_id, label,
                         seconds=seconds_on_item(st.session_state, example_id))
    except LabelloopError as error:
        _flash("error", str(error))
        return
    st.session_state[ITEM_KEY] = None
    if late:
        _flash("saved", f"Saved **{keys.escape_markdown(label)}** as a late label: the text had been on screen "
                        "longer than its reservation, so the lead checks it. Press U to undo.")
    else:
        _flash("saved", f"Saved **{keys.escape_markdown(label)}**. Press U to undo.")


def _on_filter(example_id: int) -> None:
    label = st.session_state.get(f"{FILTER_KEY}_{example_id}")
    if label:
        _on_label(example_id, label)
        st.session_state[REFOCUS_KEY] = True  # keep typing: the next text's filter gets the focus


def _on_skip(example_id: int) -> None:
    who = session.authorized("annotator")
    item = st.session_state.get(ITEM_KEY)
    if who is None or item is None or item.example_id != example_id:
        return
    try:
        queue.skip(session.project(), who.name, example_id)
    except LabelloopError as error:
        _flash("error", str(error))
        return
    st.session_state[ITEM_KEY] = None
    _flash("info", "Skipped; it goes to someone else.")


def _on_undo() -> None:
    who = session.authorized("annotator")
    if who is None:
        return
    current = st.session_state.get(ITEM_KEY)
    undone = queue.undo(session.project(), who.name)
    if undone is None:
        _flash("info", "Nothing to undo.")
        return
    if current is not None and current.example_id != undone.example_id:
        queue.release(session.project(), who.name, current.example_id)
    st.session_state[ITEM_KEY] = undone
    remember_item(st.session_state, undone.example_id, time.time())
    _flash("info", "Undone: label this text again.")


def _current_item():
    """The item on screen; lease a new one when there is none or its lease ran out."""
    item = st.session_state.get(ITEM_KEY)
    if item is None or item.lease_expires_at <= time.time():
        item = queue.next_item(project, user.name)
        st.session_state[ITEM_KEY] = item
        if item is not None:
            remember_item(st.session_state, item.example_id, time.time())
    return item


def _show_flash_and_provenance(item) -> None:
    """One caption over the text: the last action's message, then which ranking chose the text."""
    flash = st.session_state.pop(FLASH_KEY, None)
    if flash is not None and flash[0] == "error":
        st.error(keys.escape_markdown(flash[1]))
        flash = None
    st.caption(f"{flash[1] if flash else '&nbsp;'}  \n{provenance_caption(item)}")


def _focus_filter(example_id: int) -> None:
    """Put the cursor in this text's filter box once it is on screen."""
    st.html(page_scripts.focus_script(f".st-key-{FILTER_KEY}_{int(example_id)} input"),
            unsafe_allow_javascript=True)


@st.fragment
def labeling_card() -> None:
    if session.authorized("annotator") is None:  # signed out, deactivated or re-credentialed meanwhile
        return
    item = _current_item()
    if item is None:
        flash = st.session_state.pop(FLASH_KEY, None)
        if flash is not None:
            st.caption(flash[1])
        st.info("Nothing left to label right now. New texts appear here as they are imported or re-ranked.")
        row = st.container(horizontal=True)
        row.button("Check again", key="ll_check_again")
        row.button("Undo last label", key="ll_undo", shortcut=keys.UNDO_KEY, on_click=_on_undo)
        return

    if len(item.text) > get_setting(project.db, "max_text_chars"):
        # Too long to show whole: no label can be given to a text nobody could read (the save is
        # refused on the server too).
        st.warning(f"This text has {len(item.text):,} characters, more than the project's limit "
                   f"(max_text_chars): it is not shown and cannot be labeled here. Skip it, or ask a lead.")
        st.button("Skip", key="ll_skip", shortcut=keys.SKIP_KEY, icon=":material/skip_next:",
                  on_click=_on_skip, args=(item.example_id,))
        return
    # The card (message, provenance, text, suggestion) is filled last, after the buttons:
    # once the new text is visible, the buttons already act on it. Every element costs
    # a message to the browser, so the card keeps to a few.
    card = st.container(border=True, key="ll_text")
    many = len(labels) > keys.MANY_LABELS
    if many:
        # Keyed by text: each text gets a fresh, empty filter box.
        with st.container(key=FILTER_KEY):
            st.selectbox(
                "Filter labels", labels, index=None, key=f"{FILTER_KEY}_{item.example_id}",
                filter_mode="contains", label_visibility="collapsed",
                placeholder="Press / and type to filter the labels; Enter picks the top match",
                on_change=_on_filter, args=(item.example_id,),
            )
        if st.session_state.pop(REFOCUS_KEY, False):
            _focus_filter(item.example_id)
    # A second key press or click before the card is drawn again, or within the read pause
    # after it, is dropped in the browser (page_scripts), so the buttons can keep stable
    # keys (no remount per text) and still never label an unread text.
    with st.container(horizontal=True, key="ll_labels", height=230 if many else "content"):
        for index, (label, key) in enumerate(zip(labels, label_keys)):
            st.button(
                keys.escape_markdown(label), key=f"ll_label_{index}", shortcut=key,
                on_click=_on_label, args=(item.example_id, label),
            )
    mine = queue.annotator_progress(project, user.name)
    with st.container(horizontal=True, key="ll_actions", vertical_alignment="center"):
        st.button("Skip", key="ll_skip", shortcut=keys.SKIP_KEY, icon=":material/skip_next:",
                  on_click=_on_skip, args=(item.example_id,))
        st.button("Undo", key="ll_undo", shortcut=keys.UNDO_KEY, icon=":material/undo:",
                  on_click=_on_undo)
        st.caption(f"You: {mine['today']:,} labeled today · {mine['total']:,} in total")
    # The card opens and closes with a marker holding this drawing's number: the keyboard
    # script acts on keys only while both agree (page_scripts).
    drawing = st.session_state[DRAWING_KEY] = st.session_state.get(DRAWING_KEY, 0) + 1
    with card:
        st.html(page_scripts.card_marker(drawing, end=False))
        _show_flash_and_provenance(item)
        st.text(visible_text(item.text))
        if item.is_eval:
            st.caption("No suggestion on evaluation texts.")
        elif not st.session_state.get(HIDE_KEY, False):
            st.caption(suggestion_caption(item))
        st.html(page_scripts.card_marker(drawing, end=True))


@st.fragment(run_every=STATUS_EVERY_SECONDS)
def training_status() -> None:
    who = session.authorized("annotator")
    if who is None:
        return
    item = st.session_state.get(ITEM_KEY)
    if item is not None:  # the text is still on screen: its lease keeps blocking it for others
        queue.keep_alive(project, who.name, item.example_id)
    status = queue.queue_status(project)
    counts = queue.project_progress(project)
    pool = counts["pool"]
    st.markdown(f"**Project**: {counts['labeled']:,} of {pool:,} labeled")
    st.progress(counts["labeled"] / pool if pool else 0.0)
    if status["version"] is None:
        st.caption("No ranking yet: texts come in random order.")
    else:
        st.caption(
            f"Ranking: model v{status['version']} ({status['kind']}, {status['strategy']}), "
            f"refreshed {format_ago(status['refreshed_at'])}"
        )
    job = status["job"]
    if job is not None:
        st.progress(float(job.get("progress") or 0.0),
                    text=f"Training now: {job.get('kind')} {float(job.get('progress') or 0):.0%}")
    elif status["worker_pid"] is None:
        st.caption("Background training is not running.")
    else:
        st.caption(
            f"Next refresh in {max(0, status['batch_size'] - status['labels_since_refresh'])} labels"
        )
    if status["last_error"]:
        st.caption(f"Last training run failed: {keys.escape_markdown(status['last_error'])}")


guidelines = get_setting(project.db, "guidelines")
if guidelines:
    with st.expander("Guidelines", icon=":material/menu_book:"):
        st.markdown(guidelines)

labeling_card()
with st.sidebar:  # after the card, so a first cold-start ranking already shows
    st.toggle("Hide the model's suggestion", key=HIDE_KEY,
              help="Hide the suggestion and its confidence so they do not sway your choice.")
    training_status()
st.caption(
    f"Keys: the one on each label button · {keys.SKIP_KEY.upper()} skip · {keys.UNDO_KEY.upper()} undo"
    + (" · / filter labels · Esc leave the filter" if len(labels) > keys.MANY_LABELS else "")
)
