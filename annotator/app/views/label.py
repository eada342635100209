"""The labeling page: one text at a time, one key per label, no confirm step.

The card (text, context, suggestion, label buttons, actions) is a fragment, so a
key press reruns only the card: one save and one lease, nothing else. The
training status in the sidebar is a second fragment that refreshes itself every
few seconds. Beside the labels: Enter accepts the model's suggestion (marked on
its button), F flags the text for the lead and takes the next one, N writes the
lead a comment, H opens the history of your last labels (any of them can be
changed), S skips, U undoes. ``?item=ID`` opens that text on the card, if it can
be yours. UI only: every read and write goes through annotator.services.
"""

from __future__ import annotations

import time

import streamlit as st

from annotator.app import keys, page_scripts, session
from annotator.app.labeling import (
    context_caption,
    format_ago,
    provenance_caption,
    remember_item,
    seconds_on_item,
    suggestion_caption,
    visible_text,
)
from annotator.errors import LabelloopError
from annotator.services import flags, history, queue
from annotator.services.label_mode import is_multi_label
from annotator.services.label_sets import set_text, suggested_set
from annotator.services.labelset import get_labels
from annotator.services.settings import get_settings

ITEM_KEY = session.ITEM_KEY
FLASH_KEY = "ll_flash"
FILTER_KEY = "ll_filter"
REFOCUS_KEY = "ll_refocus_filter"
HIDE_KEY = "ll_hide_suggestion"
DRAWING_KEY = "ll_card_drawings"
PANEL_KEY = "ll_panel_open"  # "flag", "comment", "history" or None
CHOSEN_KEY = "ll_chosen"  # multi-label projects: (example id, the labels toggled on for it)
STATUS_EVERY_SECONDS = 5

user = session.require_page_role("annotator")
project = session.project()
settings = get_settings(project.db)
labels = get_labels(project.db)
label_keys = keys.assign_keys(labels)
multi_label = is_multi_label(project.db)
context_columns = [name.strip() for name in settings.context_columns.split(",") if name.strip()]

st.html(page_scripts.TEXT_STYLE)
st.html(page_scripts.keyboard_script(
    [*label_keys, keys.SKIP_KEY, keys.UNDO_KEY, keys.FLAG_KEY, keys.COMMENT_KEY, keys.HISTORY_KEY,
     keys.ACCEPT_KEY, *([keys.NONE_OF_THESE_KEY] if multi_label else [])], read_pause_ms=settings.read_pause_ms,
    toggles=multi_label), unsafe_allow_javascript=True)


def _flash(kind: str, message: str) -> None:
    st.session_state[FLASH_KEY] = (kind, message)


def _show(item) -> None:
    """Put ``item`` on the card (after an undo, a history pick or ?item=): the text shown before goes back."""
    who = st.session_state.get(session.USER_KEY)
    current = st.session_state.get(ITEM_KEY)
    if current is not None and current.example_id != item.example_id and who:
        queue.release(session.project(), who, current.example_id)
    st.session_state[ITEM_KEY] = item
    st.session_state[PANEL_KEY] = None
    st.session_state[CHOSEN_KEY] = None
    remember_item(st.session_state, item.example_id, time.time())


def _suggestion(item) -> str | None:
    """The model's suggestion as the annotator sees it: None on evaluation texts, when hidden, or
    when it names a label no longer in the set."""
    if item is None or item.is_eval or st.session_state.get(HIDE_KEY, False) or item.predicted not in labels:
        return None
    return item.predicted


def _on_label(example_id: int, label: str, accepted: bool = False) -> None:
    who = session.authorized("annotator")
    item = st.session_state.get(ITEM_KEY)
    if who is None or item is None or item.example_id != example_id:
        return  # signed out meanwhile, or a second key press for a text already labeled
    late = item.lease_expires_at <= time.time()
    try:
        queue.save_label(session.project(), who.name, example_id, label,
                         seconds=seconds_on_item(st.session_state, example_id), suggestion=_suggestion(item))
    except LabelloopError as error:
        _flash("error", str(error))
        return
    st.session_state[ITEM_KEY] = None
    st.session_state[PANEL_KEY] = None
    what = "Accepted" if accepted else ("Changed to" if item.given else "Saved")
    shown = f"**{keys.escape_markdown(label)}**"
    if late:
        _flash("saved", f"{what} {shown} as a late label: the text had been on screen longer than its "
                        "reservation, so the lead checks it. Press U to undo.")
    else:
        _flash("saved", f"{what} {shown}. Press U to undo.")


def _suggested_set(item) -> list[str] | None:
    """A multi-label project's suggested set as the annotator sees it (None as for :func:`_suggestion`)."""
    if item is None or item.is_eval or st.session_state.get(HIDE_KEY, False):
        return None
    return suggested_set(item.predicted, labels)


def _chosen(item) -> list[str]:
    """The labels toggled on for the text on the card (at first: the set the annotator gave it, if any)."""
    state = st.session_state.get(CHOSEN_KEY)
    if state is not None and state[0] == item.example_id:
        return list(state[1])
    return list(item.given_set or ())


def _on_toggle(example_id: int, label: str) -> None:
    item = st.session_state.get(ITEM_KEY)
    if session.authorized("annotator") is None or item is None or item.example_id != example_id:
        return
    chosen = set(_chosen(item)) ^ {label}
    st.session_state[CHOSEN_KEY] = (example_id, tuple(name for name in labels if name in chosen))


def _on_submit_set(example_id: int, names: list[str] | None = None, accepted: bool = False) -> None:
    """Save a set: ``names``, or the labels toggled on."""
    who = session.authorized("annotator")
    item = st.session_state.get(ITEM_KEY)
    if who is None or item is None or item.example_id != example_id:
        return
    names = _chosen(item) if names is None else names
    late = item.lease_expires_at <= time.time()
    try:
        queue.save_label_set(session.project(), who.name, example_id, names,
                             seconds=seconds_on_item(st.session_state, example_id), suggestion=_suggested_set(item))
    except LabelloopError as error:
        _flash("error", str(error))
        return
    st.session_state[ITEM_KEY] = None
    st.session_state[PANEL_KEY] = None
    st.session_state[CHOSEN_KEY] = None
    what = "Accepted" if accepted else ("Changed to" if item.given else "Saved")
    shown = f"**{keys.escape_markdown(set_text(names))}**"
    late_note = (" as a late label: the text had been on screen longer than its reservation, so the lead "
                 "checks it") if late else ""
    _flash("saved", f"{what} {shown}{late_note}. Press U to undo.")


def _on_filter(example_id: int) -> None:
    label = st.session_state.get(f"{FILTER_KEY}_{example_id}")
    if label and multi_label:
        _on_toggle(example_id, label)
        st.session_state[f"{FILTER_KEY}_{example_id}"] = None
        st.session_state[REFOCUS_KEY] = True
    elif label:
        _on_label(example_id, label)
        st.session_state[REFOCUS_KEY] = True  # keep typing: the next text's filter gets the focus


def _on_skip(example_id: int) -> None:
    who = session.authorized("annotator")
    item = st.session_state.get(ITEM_KEY)
    if who is None or item is None or item.example_id != example_id:
        return
    try:
        if item.given is not None:  # back from the history or an undo: keep the label it has
            queue.release(session.project(), who.name, example_id)
        else:
            queue.skip(session.project(), who.name, example_id)
    except LabelloopError as error:
        _flash("error", str(error))
        return
    st.session_state[ITEM_KEY] = None
    st.session_state[PANEL_KEY] = None
    if item.given is not None:
        _flash("info", f"Kept **{keys.escape_markdown(item.given)}**.")
    else:
        _flash("info", "Skipped; it goes to someone else.")


def _on_undo() -> None:
    who = session.authorized("annotator")
    if who is None:
        return
    undone = queue.undo(session.project(), who.name)
    if undone is None:
        _flash("info", "Nothing to undo.")
        return
    _show(undone)
    _flash("info", f"Undone: you gave **{keys.escape_markdown(undone.given)}**. Label this text again.")


def _on_open(example_id: int, *, strategy: str = queue.OPENED_STRATEGY) -> None:
    """Open a text on the card: from the history panel, or from ``?item=``."""
    who = session.authorized("annotator")
    if who is None:
        return
    current = st.session_state.get(ITEM_KEY)
    if current is not None and current.example_id == example_id:
        st.session_state[PANEL_KEY] = None
        return
    try:
        item = queue.open_item(session.project(), who.name, example_id, strategy=strategy)
    except LabelloopError as error:
        _flash("error", str(error))
        return
    _show(item)
    if item.given is not None:
        _flash("info", f"You gave **{keys.escape_markdown(item.given)}**: press another label to change it, "
                       "S to keep it.")
    else:
        _flash("info", f"Opened text {item.example_id}.")


def _toggle_panel(name: str) -> None:
    if session.authorized("annotator") is None:
        return
    st.session_state[PANEL_KEY] = None if st.session_state.get(PANEL_KEY) == name else name


def _on_flag(example_id: int) -> None:
    who = session.authorized("annotator")
    item = st.session_state.get(ITEM_KEY)
    if who is None or item is None or item.example_id != example_id:
        return
    reason = st.session_state.get("ll_flag_reason") or "ambiguous"
    try:
        flags.flag_text(session.project(), who.name, example_id, reason, st.session_state.get("ll_flag_note"))
    except LabelloopError as error:
        _flash("error", str(error))
        return
    st.session_state[ITEM_KEY] = None
    st.session_state[PANEL_KEY] = None
    _flash("info", f"Flagged as {reason}: the lead sees it on the Review page, and it leaves the queue.")


def _on_comment(example_id: int) -> None:
    who = session.authorized("annotator")
    item = st.session_state.get(ITEM_KEY)
    if who is None or item is None or item.example_id != example_id:
        return
    try:
        flags.add_comment(session.project(), who.name, example_id, st.session_state.get("ll_comment_body"))
    except LabelloopError as error:
        _flash("error", str(error))
        return
    st.session_state[PANEL_KEY] = None
    _flash("info", "Comment sent to the lead. Now label the text.")


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


def _focus(selector: str) -> None:
    """Put the cursor in this input once it is on screen."""
    st.html(page_scripts.focus_script(selector), unsafe_allow_javascript=True)


def _panel(item) -> None:
    """The open panel under the buttons: flag, comment or history (nothing when none is open)."""
    panel = st.session_state.get(PANEL_KEY)
    if panel == "history":
        _history_panel()
        return
    if item is None or panel not in ("flag", "comment"):
        return
    with st.container(border=True, key="ll_panel"):
        if panel == "flag":
            with st.form("ll_flag_form", enter_to_submit=True, border=False, clear_on_submit=True):
                st.radio("Why can this text not be labeled?", list(flags.FLAG_REASONS), index=1,
                         format_func=flags.FLAG_REASONS.get, key="ll_flag_reason", horizontal=True)
                st.text_input("Note for the lead (optional; needed for other)", key="ll_flag_note",
                              max_chars=flags.MAX_NOTE_CHARS)
                st.form_submit_button("Flag and take the next text", type="primary", on_click=_on_flag,
                                      args=(item.example_id,))
            _focus(".st-key-ll_flag_note input")
        else:
            with st.form("ll_comment_form", enter_to_submit=True, border=False, clear_on_submit=True):
                st.text_input("Comment for the lead about this text", key="ll_comment_body",
                              max_chars=flags.MAX_NOTE_CHARS)
                st.form_submit_button("Send the comment", type="primary", on_click=_on_comment,
                                      args=(item.example_id,))
            _focus(".st-key-ll_comment_body input")
        st.button("Cancel (Esc)", key="ll_panel_cancel", on_click=_toggle_panel, args=(panel,))


def _history_panel() -> None:
    recent = history.recent_labels(project, user.name)
    with st.container(border=True, key="ll_history"):
        if not recent:
            st.caption("No labels yet: your last 20 show here, and any of them can be changed.")
        for entry in recent:
            with st.container(horizontal=True, vertical_alignment="center", key=f"ll_history_{entry['example_id']}"):
                st.button(keys.escape_markdown(entry["label"]), key=f"ll_history_open_{entry['example_id']}",
                          on_click=_on_open, args=(entry["example_id"],), icon=":material/edit:",
                          help="Open this text to change its label")
                was = f"was {entry['previous']} · " if entry["previous"] else ""
                st.text(f"{was}{entry['snippet']}")


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
        row.button("History", key="ll_history_toggle", shortcut=keys.HISTORY_KEY, icon=":material/history:",
                   on_click=_toggle_panel, args=("history",))
        _panel(None)
        return

    if len(item.text) > settings.max_text_chars:
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
            _focus(f".st-key-{FILTER_KEY}_{int(item.example_id)} input")
    suggested = _suggestion(item) if not multi_label else None
    suggested_labels = _suggested_set(item) if multi_label else None
    chosen = _chosen(item) if multi_label else []
    # A second key press or click before the card is drawn again, or within the read pause
    # after it, is dropped in the browser (page_scripts), so the buttons can keep stable
    # keys (no remount per text: a button's identity is its key) and still never label an
    # unread text. The suggestion is marked by the button's type.
    with st.container(horizontal=True, key="ll_labels", height=230 if many else "content"):
        for index, (label, key) in enumerate(zip(labels, label_keys)):
            if multi_label:  # a key toggles its label; the chosen ones are filled in, the suggested ones starred
                st.button(
                    keys.escape_markdown(label), key=f"ll_label_{index}", shortcut=key,
                    type="primary" if label in chosen else "secondary",
                    icon=":material/auto_awesome:" if suggested_labels and label in suggested_labels else None,
                    on_click=_on_toggle, args=(item.example_id, label),
                )
                continue
            st.button(
                keys.escape_markdown(label), key=f"ll_label_{index}", shortcut=key,
                type="primary" if label == suggested else "secondary",
                on_click=_on_label, args=(item.example_id, label),
            )
    mine = queue.annotator_progress(project, user.name)
    with st.container(horizontal=True, key="ll_actions", vertical_alignment="center"):
        if multi_label:
            _submit_buttons(item, chosen, suggested_labels)
        elif suggested is not None:
            st.button(f"Accept {keys.escape_markdown(suggested)}", key="ll_accept", shortcut=keys.ACCEPT_KEY,
                      icon=":material/check:", on_click=_on_label, args=(item.example_id, suggested, True))
        st.button("Skip", key="ll_skip", shortcut=keys.SKIP_KEY, icon=":material/skip_next:",
                  on_click=_on_skip, args=(item.example_id,))
        st.button("Undo", key="ll_undo", shortcut=keys.UNDO_KEY, icon=":material/undo:",
                  on_click=_on_undo)
        st.button("Flag", key="ll_flag", shortcut=keys.FLAG_KEY, icon=":material/flag:",
                  on_click=_toggle_panel, args=("flag",))
        st.button("Comment", key="ll_comment", shortcut=keys.COMMENT_KEY, icon=":material/chat:",
                  on_click=_toggle_panel, args=("comment",))
        st.button("History", key="ll_history_toggle", shortcut=keys.HISTORY_KEY, icon=":material/history:",
                  on_click=_toggle_panel, args=("history",))
        st.caption(f"You: {mine['today']:,} labeled today · {mine['total']:,} in total")
    _panel(item)
    # The card opens and closes with a marker holding this drawing's number: the keyboard
    # script acts on keys only while both agree (page_scripts).
    drawing = st.session_state[DRAWING_KEY] = st.session_state.get(DRAWING_KEY, 0) + 1
    with card:
        st.html(page_scripts.card_marker(drawing, end=False))
        _show_flash_and_provenance(item)
        st.text(visible_text(item.text))
        context = context_caption(item.meta, context_columns)
        if context:
            st.caption(context)
        if item.is_eval:
            st.caption("No suggestion on evaluation texts.")
        elif multi_label and not st.session_state.get(HIDE_KEY, False):
            st.caption("Model suggestion: " + (f"**{keys.escape_markdown(set_text(suggested_labels))}** · "
                                               f"{keys.ACCEPT_KEY} with no label chosen accepts it"
                                               if suggested_labels is not None else "none yet"))
        elif not st.session_state.get(HIDE_KEY, False):
            st.caption(suggestion_caption(item) + (f" · {keys.ACCEPT_KEY} accepts it" if suggested else ""))
        st.html(page_scripts.card_marker(drawing, end=True))


def _submit_buttons(item, chosen: list[str], suggested_labels: list[str] | None) -> None:
    """A multi-label card's Enter button: submit the chosen set; with none chosen, accept the suggested
    set; and the "none of these" key when the lead allows an empty set."""
    if chosen:
        st.button(f"Submit {keys.escape_markdown(set_text(chosen))}", key="ll_submit", shortcut=keys.ACCEPT_KEY,
                  type="primary", icon=":material/check:", on_click=_on_submit_set, args=(item.example_id,))
    elif suggested_labels is not None:
        st.button(f"Accept {keys.escape_markdown(set_text(suggested_labels))}", key="ll_submit",
                  shortcut=keys.ACCEPT_KEY, icon=":material/check:", on_click=_on_submit_set,
                  args=(item.example_id, suggested_labels, True))
    else:
        st.button("Submit (choose labels first)", key="ll_submit", shortcut=keys.ACCEPT_KEY, disabled=True,
                  icon=":material/check:")
    if settings.none_of_these:
        st.button("None of these", key="ll_none_of_these", shortcut=keys.NONE_OF_THESE_KEY,
                  icon=":material/block:", on_click=_on_submit_set, args=(item.example_id, []))


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


wanted = st.query_params.get("item")
if wanted is not None:  # a link to one text: open it on the card once, then forget the link
    del st.query_params["item"]
    try:
        wanted_id = int(wanted)
    except ValueError:
        _flash("error", f"?item={wanted[:40]} is not a text id")
    else:
        _on_open(wanted_id)

if settings.guidelines:
    with st.expander("Guidelines", icon=":material/menu_book:"):
        st.markdown(settings.guidelines)

labeling_card()
with st.sidebar:  # after the card, so a first cold-start ranking already shows
    st.toggle("Hide the model's suggestion", key=HIDE_KEY,
              help="Hide the suggestion and its confidence so they do not sway your choice.")
    training_status()
if multi_label:
    key_help = (f"Keys: the one on each label button turns it on or off · {keys.ACCEPT_KEY} submit the chosen "
                "labels (none chosen: accept the suggested ones) · "
                + (f"{keys.NONE_OF_THESE_KEY} none of these · " if settings.none_of_these else ""))
else:
    key_help = f"Keys: the one on each label button · {keys.ACCEPT_KEY} accept the suggestion · "
st.caption(
    key_help +
    f"{keys.SKIP_KEY.upper()} skip · {keys.UNDO_KEY.upper()} undo · {keys.FLAG_KEY.upper()} flag · "
    f"{keys.COMMENT_KEY.upper()} comment · {keys.HISTORY_KEY.upper()} history"
    + (" · / filter labels · Esc leave the filter" if len(labels) > keys.MANY_LABELS else "")
)
