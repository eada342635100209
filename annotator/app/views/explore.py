"""Explore: search the texts (words, a pattern, meaning), filter, open any text on a labeling card,
label it; a lead labels a selection in bulk; the embedding map.

UI only: every read and write goes through annotator.services.search, .explore_queue and
.projection. The page's address carries the search (``?mode=words&q=...&labeled=0``) and the open
text (``?item=ID``), so a lead can send either to an annotator. A typed meaning search is embedded
by the worker (this page never imports torch); "more like this" needs no encoder. In a multi-label
project the card's label keys toggle labels and Enter submits the set; the label filters are about
sets (:mod:`annotator.services.set_search`); a bulk label adds the label to the lead's own set of
each text.
"""

from __future__ import annotations

import time

import streamlit as st

from annotator.app import keys, page_scripts, session
from annotator.app.labeling import remember_item, seconds_on_item, suggestion_caption, visible_text
from annotator.errors import LabelloopError
from annotator.services import explore_queue, projection, queue
from annotator.services import search as searching
from annotator.services.label_mode import is_multi_label
from annotator.services.label_sets import set_text, suggested_set
from annotator.services.settings import get_setting

CARD_KEY = session.EXPLORE_CARD_KEY  # (ServedItem, the search that found it as data)
FOUND_KEY = "ll_explore_found"      # the search shown (a searching.Search)
VECTOR_KEY = "ll_explore_vectors"   # typed query -> (encoder_version, vector), from the worker
SELECTED_KEY = "ll_explore_selected"
FLASH_KEY = "ll_explore_flash"
REGION_KEY = "ll_explore_region"
BULK_KEY = "ll_explore_bulk"        # (search, label, ids or None = all matches) awaiting confirmation
PAGE_SIZE = 25
SEED_PER_LABEL = 10  # the guided first step is offered until the pool has this many labels per label
WAIT_FOR_WORKER_S = 15.0
MODES = {"Words": "words", "Pattern (regex)": "regex", "Meaning": "similar", "More like text #": "similar_to",
         "Filters only": "all"}
ANY = "(any)"
PAGE_FILE = "views/explore.py"  # as navigation registers it (relative to main.py)
FORM_PREFIX = "ll_explore_f_"
CHOSEN_KEY = "ll_explore_chosen"    # multi-label: (example id, the labels toggled on for it)

user = session.require_page_role("annotator")
project = session.project()
choices = searching.filter_choices(project)
labels = choices["labels"]
label_keys = keys.assign_keys(labels)
multi_label = is_multi_label(project.db)
st.title("Explore")


def _flash(kind: str, message: str) -> None:
    st.session_state[FLASH_KEY] = (kind, message)


def _show_flash() -> None:
    flash = st.session_state.pop(FLASH_KEY, None)
    if flash is not None:
        (st.error if flash[0] == "error" else st.success)(keys.escape_markdown(flash[1]))


# ------------------------------------------------------------------------- the search in the URL
def _search_from_url() -> searching.Search:
    params = {key: st.query_params[key] for key in st.query_params}
    try:
        found = searching.from_params(params)
    except LabelloopError as error:
        st.error(keys.escape_markdown(str(error)))
        found = None
    return found or searching.Search()


def _put_in_url(found: searching.Search, item: int | None) -> None:
    params = searching.to_params(found)
    if item is not None:
        params["item"] = str(item)
    # written on every run: a page link's query reaches the script but not always the address bar
    st.query_params.from_dict(params)


# ------------------------------------------------------------------------------- the labeling card
def _open(example_id: int) -> None:
    who = session.authorized("annotator")
    if who is None:
        return
    current = st.session_state.get(CARD_KEY)
    if current is not None and current[0].example_id != example_id:
        explore_queue.release(session.project(), who.name, current[0].example_id)
    try:
        item = explore_queue.lease_item(session.project(), who.name, int(example_id))
    except LabelloopError as error:
        st.session_state[CARD_KEY] = None
        if "item" in st.query_params:
            del st.query_params["item"]  # not tried again on every rerun
        _flash("error", str(error))
        return
    st.session_state[CARD_KEY] = (item, st.session_state.get(FOUND_KEY, searching.Search()).describe())
    remember_item(st.session_state, item.example_id, time.time())


def _close() -> None:
    who = session.authorized("annotator")
    card = st.session_state.pop(CARD_KEY, None)
    if who is not None and card is not None:
        explore_queue.release(session.project(), who.name, card[0].example_id)
    if "item" in st.query_params:
        del st.query_params["item"]


def _label(example_id: int, label: str | None = None) -> None:
    """Save the card's label (``label``), or in a multi-label project the labels toggled on as a set."""
    who = session.authorized("annotator")
    card = st.session_state.get(CARD_KEY)
    if who is None or card is None or card[0].example_id != example_id:
        return  # signed out meanwhile, or a second press for a text already labeled
    names = _chosen(example_id) if label is None else None
    try:
        if names is None:
            explore_queue.save_search_label(session.project(), who.name, example_id, label, card[1],
                                            seconds=seconds_on_item(st.session_state, example_id))
        else:
            explore_queue.save_search_label_set(session.project(), who.name, example_id, names, card[1],
                                                seconds=seconds_on_item(st.session_state, example_id))
    except LabelloopError as error:
        _flash("error", str(error))
        return
    st.session_state[CARD_KEY] = None
    st.session_state[CHOSEN_KEY] = None
    if "item" in st.query_params:
        del st.query_params["item"]
    _flash("saved", f"Saved {label if names is None else set_text(names)} for text #{example_id}.")


def _chosen(example_id: int) -> list[str]:
    state = st.session_state.get(CHOSEN_KEY)
    return list(state[1]) if state is not None and state[0] == example_id else []


def _toggle(example_id: int, label: str) -> None:
    chosen = set(_chosen(example_id)) ^ {label}
    st.session_state[CHOSEN_KEY] = (example_id, tuple(name for name in labels if name in chosen))


def _set_buttons(item) -> None:
    """A multi-label card: label keys toggle labels (the chosen ones filled in), Enter submits the set."""
    chosen = _chosen(item.example_id)
    with st.container(horizontal=True, key="ll_labels"):
        for index, (label, key) in enumerate(zip(labels, label_keys)):
            st.button(keys.escape_markdown(label), key=f"ll_label_{index}", shortcut=key,
                      type="primary" if label in chosen else "secondary",
                      on_click=_toggle, args=(item.example_id, label))
    allowed = bool(chosen) or get_setting(project.db, "none_of_these")
    st.button(f"Submit {keys.escape_markdown(set_text(chosen))}", key="ll_explore_submit", shortcut=keys.ACCEPT_KEY,
              type="primary", disabled=not allowed, on_click=_label, args=(item.example_id,))


def _card() -> None:
    card = st.session_state.get(CARD_KEY)
    if card is None:
        return
    item = card[0]
    st.html(page_scripts.TEXT_STYLE)
    st.html(page_scripts.keyboard_script([*label_keys, *([keys.ACCEPT_KEY] if multi_label else [])],
                                         read_pause_ms=get_setting(project.db, "read_pause_ms"), toggles=multi_label),
            unsafe_allow_javascript=True)
    st.subheader(f"Text #{item.example_id}")
    if len(item.text) > get_setting(project.db, "max_text_chars"):
        st.warning("This text is longer than the project's max_text_chars: it is not shown and cannot be labeled.")
        st.button("Close", key="ll_explore_close", on_click=_close)
        return
    if multi_label:
        _set_buttons(item)
    else:
        with st.container(horizontal=True, key="ll_labels"):
            for index, (label, key) in enumerate(zip(labels, label_keys)):
                st.button(keys.escape_markdown(label), key=f"ll_label_{index}", shortcut=key,
                          on_click=_label, args=(item.example_id, label))
    with st.container(horizontal=True, key="ll_actions", vertical_alignment="center"):
        st.button("Close", key="ll_explore_close", icon=":material/close:", on_click=_close)
        st.button("More like this", key="ll_explore_like", icon=":material/join:", on_click=_more_like,
                  args=(item.example_id,))
        st.caption(f"Link to this text: ?item={item.example_id}")
    drawing = st.session_state["ll_explore_drawing"] = st.session_state.get("ll_explore_drawing", 0) + 1
    with st.container(border=True, key="ll_text"):
        st.html(page_scripts.card_marker(drawing, end=False))
        found = searching.result_of(project, item.example_id)
        others = ", ".join(f"{name}: {label}" for name, label in (found.labels if found else {}).items())
        st.caption(("Labeled by " + keys.escape_markdown(others)) if others else "No label yet")
        st.text(visible_text(item.text))
        if item.is_eval:
            st.caption("Evaluation text (measures the model; never trained on): no suggestion.")
        elif multi_label:
            suggested = suggested_set(item.predicted, labels)
            st.caption("Model suggestion: none yet" if suggested is None
                       else f"Model suggestion: **{keys.escape_markdown(set_text(suggested))}**")
        else:
            st.caption(suggestion_caption(item))
        st.html(page_scripts.card_marker(drawing, end=True))


def _more_like(example_id: int) -> None:
    found = st.session_state.get(FOUND_KEY) or searching.Search()
    st.session_state[FOUND_KEY] = searching.Search("similar_to", example_id=int(example_id), filters=found.filters,
                                                   sort="relevance")
    _reset_form()


def _reset_form() -> None:
    """Forget the form's widgets, so they show the search set from elsewhere (a link, More like this)."""
    for key in [key for key in st.session_state if str(key).startswith(FORM_PREFIX)]:
        del st.session_state[key]


# ----------------------------------------------------------------------------------- the form
def _bool_choice(name: str, label: str, options: dict[str, bool | None], current: bool | None) -> bool | None:
    names = list(options)
    index = next((k for k, value in enumerate(options.values()) if value == current), 0)
    return options[st.selectbox(label, names, index=index, key=FORM_PREFIX + name)]


def _pick(name: str, label: str, values: list[str], current: str | None) -> str | None:
    options = [ANY, *values]
    index = options.index(current) if current in options else 0
    chosen = st.selectbox(label, options, index=index, key=FORM_PREFIX + name)
    return None if chosen == ANY else chosen


def _form(current: searching.Search) -> searching.Search | None:
    mode_names = list(MODES)
    with st.form("ll_explore_form", border=False):
        row = st.container(horizontal=True, vertical_alignment="bottom")
        mode = row.selectbox("Search by", mode_names, index=list(MODES.values()).index(current.mode),
                             key=FORM_PREFIX + "mode")
        text = row.text_input("Search for", value=current.query or (str(current.example_id or "")),
                              key=FORM_PREFIX + "query", placeholder="refund never arrived")
        filters = current.filters
        with st.expander("Filters and order", expanded=bool(filters.given()) or current.sort != "relevance"):
            columns = st.columns(3)
            with columns[0]:
                label = _pick("label", "Label (in anyone's set)" if multi_label else "Label", labels, filters.label)
                predicted = _pick("predicted", "Predicted (in the suggested set)" if multi_label else "Predicted",
                                  labels, filters.predicted)
                annotator = _pick("annotator", "Labeled by", choices["annotators"], filters.annotator)
            with columns[1]:
                low, high = st.slider("Confidence", 0.0, 1.0, (filters.min_confidence or 0.0,
                                                               filters.max_confidence or 1.0), 0.05,
                                      key=FORM_PREFIX + "confidence",
                                      help="multi-label: the least certain label's distance to its threshold "
                                           "(0: on it, 1: certain)" if multi_label else None)
                labeled = _bool_choice("labeled", "Labeled", {ANY: None, "unlabeled": False, "labeled": True},
                                       filters.labeled)
                disagreement = _bool_choice("disagreement", "Disagreement", {ANY: None, "open disagreement": True},
                                            filters.disagreement)
            with columns[2]:
                skipped = _bool_choice("skipped", "Skipped", {ANY: None, "skipped by someone": True,
                                                              "never skipped": False}, filters.skipped)
                is_eval = _bool_choice("eval", "Evaluation set", {ANY: None, "only": True, "left out": False},
                                       filters.is_eval)
                source = _pick("source", "Imported from", choices["sources"], filters.source)
            sort = st.radio("Order", searching.SORTS, index=searching.SORTS.index(current.sort), horizontal=True,
                            key=FORM_PREFIX + "sort")
        submitted = st.form_submit_button("Search", icon=":material/search:", type="primary")
    if not submitted:
        return None
    chosen = MODES[mode]
    example_id = None
    if chosen == "similar_to":
        try:
            example_id = int(text.strip().lstrip("#"))
        except ValueError:
            st.error("For More like text #, type the id of a text.")
            return None
    return searching.Search(
        chosen, text if chosen in ("words", "regex", "similar") else "", example_id,
        searching.Filters(label=label, predicted=predicted, min_confidence=low if low > 0 else None,
                          max_confidence=high if high < 1 else None, annotator=annotator, disagreement=disagreement,
                          skipped=skipped, is_eval=is_eval, labeled=labeled, source=source),
        sort,
    )


# --------------------------------------------------------------------------------- searching
def _query_vector(found: searching.Search):
    """The typed query's embedding, asked of the worker once per query text."""
    vectors = st.session_state.setdefault(VECTOR_KEY, {})
    if found.query in vectors:
        return vectors[found.query]
    if queue.queue_status(project)["worker_pid"] is None:
        raise LabelloopError("a meaning search of typed words needs the worker, which is not running "
                             "(labelloop serve starts it); More like text # works without it")
    job = searching.request_query_embedding(project, found.query, user.name)
    deadline = time.monotonic() + WAIT_FOR_WORKER_S
    with st.spinner("The worker is embedding your query…"):
        while time.monotonic() < deadline:
            status, vector = searching.query_embedding_result(project, job)
            if vector is not None:
                vectors[found.query] = vector
                return vector
            if status.startswith("failed"):
                raise LabelloopError(f"the worker could not embed the query: {status[len('failed: '):]}")
            time.sleep(0.2)
    raise LabelloopError("the worker did not answer: a meaning search of typed words needs the worker "
                         "(labelloop serve starts it). More like text # works without it.")


def _run(found: searching.Search, offset: int, within: list[int] | None = None):
    vector = None
    if found.mode in ("similar", "similar_to") and not searching.has_pool_vectors(project):
        job = searching.embedding_progress(project)
        if job is not None:
            st.info(f"The worker is embedding the pool: {float(job['progress'] or 0):.0%}. Search again in a moment.")
        else:
            st.info("The pool has no embeddings yet: the worker computes them when it starts (labelloop serve).")
        return None
    if found.mode == "similar":
        vector = _query_vector(found)
    return searching.search(project, found, offset=offset, limit=PAGE_SIZE, query_vector=vector, within=within)


def _results(page) -> None:
    st.caption(f"{page.total:,} match{'es' if page.total != 1 else ''} · {page.seconds * 1000:.0f} ms")
    selected: set[int] = st.session_state.setdefault(SELECTED_KEY, set())
    for result in page.results:
        with st.container(horizontal=True, vertical_alignment="center", key=f"ll_result_{result.example_id}"):
            if user.is_lead:
                ticked = st.checkbox(f"select {result.example_id}", value=result.example_id in selected,
                                     key=f"ll_pick_{result.example_id}", label_visibility="collapsed")
                (selected.add if ticked else selected.discard)(result.example_id)
            # the text's deep link: opens it on the card (in this tab without a reload)
            st.page_link(PAGE_FILE, label=f"#{result.example_id}",
                         query_params={**searching.to_params(page.search), "item": str(result.example_id)})
            text = " ".join(result.text.split())
            st.text(text[:160] + ("…" if len(text) > 160 else ""))
        facts = [f"label: {result.label}" if result.label else "unlabeled"]
        if result.disagreement:
            facts.append("disagreement: " + ", ".join(f"{a} {lab}" for a, lab in result.labels.items()))
        if result.predicted:
            # a set's confidence: how far its least certain label is from that label's threshold (0 to 1)
            certainty = f"certainty {result.confidence:.2f}" if multi_label else f"{result.confidence:.0%}"
            facts.append(f"predicted: {result.predicted} ({certainty})")
        if result.score is not None:
            facts.append(f"score {result.score:.3f}")
        if result.is_eval:
            facts.append("evaluation set")
        st.caption(keys.escape_markdown(" · ".join(facts)))


def _bulk(page, found: searching.Search) -> None:
    selected: set[int] = st.session_state.setdefault(SELECTED_KEY, set())
    pending = st.session_state.get(BULK_KEY)
    with st.expander(f"Label in bulk ({len(selected)} selected)", icon=":material/library_add_check:",
                     expanded=pending is not None):
        target = st.selectbox("Label", labels, key="ll_bulk_label")
        scope = st.radio("Texts", [f"the {len(selected)} selected", f"all {min(page.total, explore_queue.MAX_BULK):,}"
                                   " matches of this search"], key="ll_bulk_scope", horizontal=True)
        if st.button("Review and label…", key="ll_bulk_review"):
            st.session_state[BULK_KEY] = pending = (found, target, sorted(selected) if scope.startswith("the ")
                                                    else None)
        if pending is not None:
            _confirm_bulk(*pending)


def _confirm_bulk(found: searching.Search, target: str, ids: list[int] | None) -> None:
    """How many texts change, then the lead confirms (or cancels)."""
    who = session.authorized("lead")
    if who is None:
        st.session_state.pop(BULK_KEY, None)
        return
    try:
        if ids is None:
            vector = st.session_state.get(VECTOR_KEY, {}).get(found.query) if found.mode == "similar" else None
            ids = searching.all_matching_ids(project, found, query_vector=vector, cap=explore_queue.MAX_BULK)
        plan = explore_queue.plan_bulk(project, who.name, ids, target)
    except LabelloopError as error:
        st.session_state.pop(BULK_KEY, None)
        st.error(keys.escape_markdown(str(error)))
        return
    with st.container(border=True, key="ll_bulk_confirmation"):
        how = (f": {keys.escape_markdown(target)} is added to your set of each" if multi_label
               else f" to {keys.escape_markdown(target)} as your label")
        st.markdown(f"**{len(plan.change):,} texts change**{how} ({plan.new:,} new, {plan.relabel:,} relabeled); "
                    f"{plan.unchanged:,} already have it.")
        if plan.conflicts:
            st.warning(f"{len(plan.conflicts):,} of them carry another annotator's different label: theirs "
                       "stays, and each goes to the Review page as a disagreement.")
        if plan.too_long:
            st.caption(f"{len(plan.too_long):,} texts longer than max_text_chars are left out.")
        row = st.container(horizontal=True)
        confirm = row.button(f"Label {len(plan.change):,} texts", type="primary", key="ll_bulk_confirm",
                             disabled=not plan.change)
        if row.button("Cancel", key="ll_bulk_cancel"):
            st.session_state.pop(BULK_KEY, None)
            st.rerun()
    if confirm:
        st.session_state.pop(BULK_KEY, None)
        try:
            done = explore_queue.bulk_label(project, who.name, ids, target, found.describe())
        except LabelloopError as error:
            st.error(keys.escape_markdown(str(error)))
            return
        st.session_state[SELECTED_KEY] = set()
        _flash("saved", f"Labeled {len(done.change):,} texts {target}; {len(done.conflicts):,} went to Review.")
        st.rerun()


def _seed_each_label() -> None:
    """The guided first step of a new project: one meaning search per label name, unlabeled texts."""
    counts = queue.project_progress(project)
    if counts["labeled"] >= SEED_PER_LABEL * len(labels):
        return
    with st.expander("Seed each label: a first step for a new project", icon=":material/flag:"):
        st.caption("Search each label's name for texts close in meaning, label a few good ones per label, then "
                   "follow the queue: the first model then sees every label. Measured, it helps where the "
                   "label_prior setting is off (by default, under 10 labels); with it on, each label's name already "
                   "counts as one example.")
        row = st.container(horizontal=True, vertical_alignment="bottom")
        name = row.selectbox("Label", labels, key="ll_seed_label")
        if row.button("Find texts like it", key="ll_seed_search"):
            st.session_state[FOUND_KEY] = searching.Search("similar", name.replace("_", " "),
                                                           filters=searching.Filters(labeled=False))
            st.session_state["ll_explore_offset"] = 0
            _reset_form()
            st.rerun()


# ------------------------------------------------------------------------------------ the map
def _map(found: searching.Search) -> list[int] | None:
    status = projection.map_status(project)
    if status["map"] is None:
        st.info(status["message"])
        return None
    colour = st.radio("Colour by", projection.COLOURS, horizontal=True, key="ll_map_colour")
    points = projection.map_points(project, colour)
    spec = projection.chart_spec(points, colour)
    st.caption(f"{status['map']['n']:,} texts, {len(points):,} drawn ({status['map']['method']}); drag to select "
               "a region: its texts are listed below.")
    event = st.vega_lite_chart(spec=spec, on_select="rerun", selection_mode="region", key="ll_map_chart",
                               width="stretch")
    bounds = projection.selected_bounds(event)
    if bounds is None:
        return None
    ids = projection.region_ids(project, bounds)
    st.session_state[REGION_KEY] = bounds
    return ids


# ------------------------------------------------------------------------------------- the page
found = st.session_state.get(FOUND_KEY)
if found is None:  # the first visit of this browser session: the search the address names, if any
    found = _search_from_url()
    _reset_form()
st.session_state[FOUND_KEY] = found
requested_item = st.query_params.get("item")
if requested_item is not None:
    card = st.session_state.get(CARD_KEY)
    if card is None or str(card[0].example_id) != requested_item:
        try:
            _open(int(requested_item))
        except ValueError:
            _flash("error", f"?item={requested_item} is not a text id")
_show_flash()
_card()

_seed_each_label()
submitted = _form(found)
if submitted is not None:
    st.session_state[FOUND_KEY] = found = submitted
    st.session_state[SELECTED_KEY] = set()
    st.session_state.pop(BULK_KEY, None)
    st.session_state["ll_explore_offset"] = 0
card = st.session_state.get(CARD_KEY)
_put_in_url(found, card[0].example_id if card else None)

results_tab, map_tab = st.tabs(["Results", "Map"])
with map_tab:
    region = _map(found)
with results_tab:
    if region is not None:
        st.caption(f"{len(region):,} texts in the selected region of the map")
    offset = int(st.session_state.get("ll_explore_offset", 0))
    try:
        page = _run(found, offset, region)
    except LabelloopError as error:
        st.error(keys.escape_markdown(str(error)))
        page = None
    if page is not None:
        _results(page)
        nav = st.container(horizontal=True)
        if nav.button("Previous", disabled=offset == 0, key="ll_explore_prev"):
            st.session_state["ll_explore_offset"] = max(0, offset - PAGE_SIZE)
            st.rerun()
        if nav.button("Next", disabled=offset + PAGE_SIZE >= page.total, key="ll_explore_next"):
            st.session_state["ll_explore_offset"] = offset + PAGE_SIZE
            st.rerun()
        if user.is_lead:
            _bulk(page, found)
