"""The lead's review queue: disagreements, suspected label errors, late labels, flags and comments.

A click on a label button records the lead's adjudication (kind
``adjudication``); exports use it and every adjudication stays in the label
history. In a multi-label project each text shows every annotator's set and its disputed labels
(for a suspected error: the labels the model contradicts); the lead toggles labels (starting from
those all annotators agree on, or the set given) and submits the final set.
A flagged text is out of the queue until the lead returns it (or keeps it out);
a comment stays listed until a lead marks it read. Texts, labels and names are shown as
plain text, never as markdown or HTML. UI only: reads and writes go through
annotator.services.review and annotator.services.flags.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from annotator.app import session
from annotator.app.keys import escape_markdown
from annotator.app.labeling import visible_text
from annotator.errors import LabelloopError
from annotator.services import flags, review
from annotator.services.label_mode import is_multi_label
from annotator.services.label_sets import set_text
from annotator.services.labelset import get_labels

SHOW_AT_MOST = 25
FLASH_KEY = "ll_review_flash"
SUSPECTS_KEY = "ll_review_suspects"
CHOSEN_PREFIX = "ll_review_chosen"  # multi-label: the set the lead is building for one text

user = session.require_page_role("lead")
project = session.project()
labels = get_labels(project.db)
multi_label = is_multi_label(project.db)


def decide(example_id: int, label: str | list[str]) -> None:
    """Button callback: re-check the role now, then record the adjudication."""
    lead = session.authorized("lead")
    if lead is None:
        return
    try:
        review.adjudicate(session.project(), lead.name, example_id, label)
    except LabelloopError as error:
        st.session_state[FLASH_KEY] = ("error", str(error))
    else:
        final = set_text(label) if isinstance(label, list) else label
        st.session_state[FLASH_KEY] = ("success", f"Item {example_id}: final label set to {final}.")


def _chosen_key(prefix: str, example_id: int) -> str:
    return f"{CHOSEN_PREFIX}_{prefix}_{example_id}"


def toggle(prefix: str, example_id: int, name: str, start: list[str]) -> None:
    """Button callback: put a label in the set being chosen for a text, or take it out."""
    key = _chosen_key(prefix, example_id)
    chosen = set(st.session_state.get(key, start))
    chosen ^= {name}
    st.session_state[key] = [label for label in labels if label in chosen]


def submit_set(prefix: str, example_id: int, start: list[str]) -> None:
    decide(example_id, list(st.session_state.pop(_chosen_key(prefix, example_id), start)))


def set_chooser(example_id: int, start: list[str], marked: set[str], prefix: str) -> None:
    """Toggle buttons (the chosen labels filled in, ``marked`` ones with a question mark) and a submit
    button for a multi-label text's final set, ``start`` chosen at first."""
    chosen = st.session_state.get(_chosen_key(prefix, example_id), start)
    columns = st.columns(len(labels))
    for column, name in zip(columns, labels):
        column.button(
            escape_markdown(name), key=f"{prefix}_{example_id}_{name}", width="stretch",
            type="primary" if name in chosen else "secondary",
            icon=":material/help:" if name in marked else None,
            on_click=toggle, args=(prefix, example_id, name, start),
        )
    st.button(f"Set final: {escape_markdown(set_text(chosen))}", key=f"{prefix}_submit_{example_id}",
              on_click=submit_set, args=(prefix, example_id, start), icon=":material/gavel:")


def sets_line(sets: dict[str, list[str]]) -> str:
    return ", ".join(f"{escape_markdown(name)}: {escape_markdown(set_text(names))}" for name, names in sets.items())


def label_buttons(example_id: int, highlight: set[str], prefix: str) -> None:
    columns = st.columns(len(labels))
    for column, name in zip(columns, labels):
        column.button(
            escape_markdown(name), key=f"{prefix}_{example_id}_{name}", width="stretch",
            type="primary" if name in highlight else "secondary",
            on_click=decide, args=(example_id, name),
        )


def settle(example_id: int, action: str) -> None:
    """Button callback: return a flagged text to the queue, keep it out, or let a kept-out one back."""
    lead = session.authorized("lead")
    if lead is None:
        return
    try:
        if action == "back":
            flags.return_text(session.project(), lead.name, example_id)
        else:
            flags.settle_flag(session.project(), lead.name, example_id, action)
    except LabelloopError as error:
        st.session_state[FLASH_KEY] = ("error", str(error))
    else:
        done = "kept out of the queue" if action == "exclude" else "back in the queue"
        st.session_state[FLASH_KEY] = ("success", f"Item {example_id}: {done}.")


def read(comment_id: int) -> None:
    lead = session.authorized("lead")
    if lead is not None:
        flags.mark_read(session.project(), lead.name, comment_id)


def run_check(threshold: float, folds: int) -> None:
    """Button callback: cross-validate now and keep the result in this session."""
    if session.authorized("lead") is None:
        return
    try:
        found = review.suspected_errors(session.project(), threshold=threshold, folds=folds)
    except (review.NoEmbeddingsError, review.NotEnoughLabelsError) as error:
        st.session_state[SUSPECTS_KEY] = {"message": str(error)}
    else:
        st.session_state[SUSPECTS_KEY] = {"frame": found, "threshold": threshold, "folds": folds}


st.title("Review")
flash = st.session_state.pop(FLASH_KEY, None)
if flash:
    getattr(st, flash[0])(escape_markdown(flash[1]))  # plain text: a label or a name is never markdown
    # and where the lead is looking: the card they clicked on is gone, the page may be scrolled far down
    st.toast(escape_markdown(flash[1]), icon=":material/error:" if flash[0] == "error" else ":material/check:")

late = review.late_queue(project)
flagged = flags.flagged(project)
kept_out = flags.flagged(project, "excluded")
comments = flags.unread_comments(project)
disagreements_tab, suspects_tab, late_tab, flags_tab, comments_tab = st.tabs(
    ["Disagreements", "Suspected label errors", f"Late labels ({len(late)})", f"Flags ({len(flagged)})",
     f"Comments ({len(comments)})"])

with disagreements_tab:
    queue = review.disagreement_queue(project)
    st.caption(
        f"{len(queue)} item(s) whose annotators' current labels differ and that no lead has "
        "adjudicated. " + ("Choose the final set: the labels every annotator gave are chosen, the disputed "
                           "ones marked ?; toggle labels, then set it." if multi_label else "Pick the final label.")
    )
    if queue.empty:
        st.success("No open disagreements.")
    elif multi_label:  # which labels the annotators disagree on, over all open texts
        disputed = pd.Series([name for names in queue["disputed"] for name in names]).value_counts()
        st.caption("Disputed labels: " + ", ".join(f"{escape_markdown(name)} {count}"
                                                   for name, count in disputed.items()))
    for row in queue.head(SHOW_AT_MOST).itertuples():
        with st.container(border=True, key=f"ll_disagreement_{row.example_id}"):
            st.text(visible_text(row.text))
            if multi_label:
                disputed = ", ".join(escape_markdown(name) for name in row.disputed)
                st.caption(f"Item {row.example_id}{' (evaluation set)' if row.is_eval else ''} · "
                           f"{sets_line(row.votes)} · disputed: {disputed}")
                set_chooser(row.example_id, list(row.agreed), set(row.disputed), "ll_adj")
                continue
            votes = ", ".join(f"{escape_markdown(name)}: {escape_markdown(label)}" for name, label in row.votes.items())
            st.caption(f"Item {row.example_id}{' (evaluation set)' if row.is_eval else ''} · {votes}")
            label_buttons(row.example_id, set(row.votes.values()), "ll_adj")
    if len(queue) > SHOW_AT_MOST:
        st.caption(f"Showing the oldest {SHOW_AT_MOST}; resolve them to see more.")

with suspects_tab:
    st.caption(
        "Final labels that a cross-validated model contradicts: each item is predicted by a light "
        "model trained on the other folds (never on its own label), on the cached pool embeddings. "
        "Items a lead already adjudicated are left out." + (
            " In a multi-label project each label of a set is checked: one in the set that the model is sure "
            "is absent, or one outside it that the model is sure applies, is contradicted." if multi_label else "")
    )
    left, right = st.columns(2)
    threshold = left.slider("Flag when the model's confidence is at least", 0.5, 0.99,
                            review.DEFAULT_THRESHOLD, 0.01, key="ll_review_threshold")
    folds = right.number_input("Folds", min_value=2, max_value=10, value=review.DEFAULT_FOLDS, step=1,
                               key="ll_review_folds")
    st.button("Find suspected errors", key="ll_review_run", on_click=run_check,
              args=(float(threshold), int(folds)), icon=":material/search:")
    result = st.session_state.get(SUSPECTS_KEY)
    if result is None:
        st.caption("Runs a k-fold check over every labeled item (seconds for thousands of labels).")
    elif "message" in result:
        st.info(f"Not available yet: {escape_markdown(result['message'])}.")
    else:
        decided = review.adjudicated_ids(project)
        suspects = result["frame"][~result["frame"]["example_id"].isin(decided)]
        if suspects.empty:
            st.success("No label is contradicted at this confidence.")
        else:
            st.caption(f"{len(suspects)} suspected label error(s) at confidence ≥ {result['threshold']:.2f}, "
                       "most confident first.")
        for row in suspects.head(SHOW_AT_MOST).itertuples():
            with st.container(border=True, key=f"ll_suspect_{row.example_id}"):
                st.text(visible_text(row.text))
                disputed = (" · disputed: " + ", ".join(escape_markdown(name) for name in row.contradicted)
                            if multi_label else "")
                st.caption(
                    f"Item {row.example_id} · label: {escape_markdown(row.label)} · model: "
                    f"{escape_markdown(row.predicted)} ({row.confidence:.0%}){disputed}"
                )
                if multi_label:
                    set_chooser(row.example_id, list(row.labels), set(row.contradicted), "ll_fix")
                else:
                    label_buttons(row.example_id, {row.label, row.predicted}, "ll_fix")

with late_tab:
    st.caption(
        "Labels saved after their text's reservation ran out (left on screen too long, or its page went "
        "quiet): the text may have been given to someone else meanwhile. Check each and set the final label."
    )
    if not late:
        st.success("No late labels.")
    for row in late[:SHOW_AT_MOST]:
        with st.container(border=True, key=f"ll_late_{row['id']}"):
            st.text(visible_text(row["text"]))
            if multi_label:
                st.caption(f"Item {row['example_id']} · late: {escape_markdown(row['annotator'])}: "
                           f"{escape_markdown(set_text(row['labels']))} · {sets_line(row['others']) or 'no other set'}")
                marked = {name for names in row["others"].values() for name in set(names) ^ set(row["labels"])}
                set_chooser(row["example_id"], list(row["labels"]), marked, "ll_late")
                continue
            others = ", ".join(f"{escape_markdown(name)}: {escape_markdown(label)}"
                               for name, label in row["others"].items()) or "no other label"
            st.caption(f"Item {row['example_id']} · late: {escape_markdown(row['annotator'])}: "
                       f"{escape_markdown(row['label'])} · {others}")
            label_buttons(row["example_id"], {row["label"], *row["others"].values()}, "ll_late")

with flags_tab:
    st.caption("Texts an annotator flagged (broken, ambiguous, offensive, ...): they are out of the queue "
               "until you return them. Keep one out for good if it should never be labeled.")
    if not flagged:
        st.success("No open flags.")
    for row in flagged[:SHOW_AT_MOST]:
        with st.container(border=True, key=f"ll_flagged_{row['example_id']}"):
            st.text(visible_text(row["text"]))
            said = " · ".join(escape_markdown(flags.flag_text_line(flag)) for flag in row["flags"])
            st.caption(f"Item {row['example_id']}{' (evaluation set)' if row['is_eval'] else ''} · {said}")
            left, right = st.columns(2)
            left.button("Return to the queue", key=f"ll_flag_return_{row['example_id']}", width="stretch",
                        on_click=settle, args=(row["example_id"], "return"), icon=":material/undo:")
            right.button("Keep out of the queue", key=f"ll_flag_exclude_{row['example_id']}", width="stretch",
                         on_click=settle, args=(row["example_id"], "exclude"), icon=":material/block:")
    if kept_out:
        with st.expander(f"Kept out of the queue ({len(kept_out)})"):
            for row in kept_out[:SHOW_AT_MOST]:
                st.text(visible_text(row["text"]))
                st.button("Return to the queue", key=f"ll_flag_back_{row['example_id']}",
                          on_click=settle, args=(row["example_id"], "back"))

with comments_tab:
    st.caption("Comments annotators wrote about a text. Mark each read once you have answered it.")
    if not comments:
        st.success("No unread comments.")
    for row in comments[:SHOW_AT_MOST]:
        with st.container(border=True, key=f"ll_comment_{row['id']}"):
            st.text(visible_text(row["text"]))
            st.caption(f"Item {row['example_id']} · {escape_markdown(flags.comment_line(row))}")
            st.button("Mark read", key=f"ll_comment_read_{row['id']}", on_click=read, args=(row["id"],),
                      icon=":material/done:")
