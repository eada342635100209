"""Project page: label set (add, rename, merge, delete), guidelines and loop settings, the columns
annotators see beside each text, importing a file, the evaluation set.

UI only: settings are validated by annotator.services.settings.set_settings (the
one source of configuration), label changes by annotator.services.labelset, uploads go
through annotator.services.uploads (the same import_file and validation as
``labelloop import``), the evaluation set through annotator.services.evalset. Every
action re-checks the lead role. Each form's message shows right under that form (where
the lead is looking), never a server path.
"""

from __future__ import annotations

import streamlit as st

from annotator.app import session
from annotator.app.keys import escape_markdown
from annotator.config import SETTINGS, STRATEGY_NAMES
from annotator.errors import InputError, LabelloopError
from annotator.services.evalset import pool_counts_of, reserve_eval_set
from annotator.services.imports import READ_EXTENSIONS, READ_FORMATS, metadata_columns
from annotator.services.label_mode import is_multi_label, mode_name
from annotator.services.labelset import add_labels, delete_label, get_labels, merge_labels, rename_label
from annotator.services.settings import get_settings, set_settings
from annotator.services.uploads import import_upload

FLASH_KEY = "ll_project_flash"
KEEP = "(nowhere: refuse if labels use it)"

user = session.require_page_role("lead")
project = session.project()


def run_action(where: str, action, success) -> None:
    """Run ``action(lead)`` if the session still belongs to a lead; keep the outcome for the form ``where``."""
    lead = session.authorized("lead")
    if lead is None:
        return
    try:
        result = action(lead)
    except LabelloopError as error:
        st.session_state[FLASH_KEY] = (where, "error", escape_markdown(str(error)))
    else:
        st.session_state[FLASH_KEY] = (where, "success", success(result) if callable(success) else success)


def message(where: str) -> None:
    """The outcome of the form ``where``, under it."""
    flash = st.session_state.get(FLASH_KEY)
    if flash and flash[0] == where:
        st.session_state.pop(FLASH_KEY)
        getattr(st, flash[1])(flash[2])


st.title("Project")
settings = get_settings(project.db)
counts = pool_counts_of(project)
multi_label = is_multi_label(project.db)
st.caption(
    f"{mode_name(project.db).capitalize()} project (fixed when it was created) · "
    f"{project.path.name} · {counts['pool']} pool items ({counts['labeled']} labeled) · "
    f"{counts['eval']} evaluation items ({counts['eval_labeled']} labeled)"
)

# ---------------------------------------------------------------- labels
st.header("Label set")
labels = get_labels(project.db)
st.text(", ".join(labels))  # as typed, never as markdown
add_tab, rename_tab, merge_tab, delete_tab = st.tabs(["Add", "Rename", "Merge", "Delete"])
with add_tab:
    with st.form("ll_project_label", clear_on_submit=True):
        new_label = st.text_input("New label", key="ll_project_new_label", help="Appended at the end of the set.")
        if st.form_submit_button("Add label"):
            run_action("labels", lambda lead: add_labels(project.db, [new_label], actor=lead.name),
                       f"Added the label {escape_markdown(new_label)}.")
            st.rerun()
with rename_tab:
    with st.form("ll_project_rename", clear_on_submit=True):
        old = st.selectbox("Label", labels, key="ll_project_rename_old")
        new = st.text_input("New name", key="ll_project_rename_new",
                            help="Every stored label, suggestion and prediction of it takes the new name.")
        if st.form_submit_button("Rename"):
            run_action("labels", lambda lead: rename_label(project.db, old, new, actor=lead.name),
                       lambda n: f"Renamed {escape_markdown(old)} to {escape_markdown(new)} ({n} label rows).")
            st.rerun()
with merge_tab:
    with st.form("ll_project_merge"):
        left, right = st.columns(2)
        source = left.selectbox("Merge", labels, key="ll_project_merge_from")
        target = right.selectbox("into", labels, index=min(1, len(labels) - 1), key="ll_project_merge_into")
        st.caption("Every label of the first moves to the second, which keeps what each was given in its history; "
                   "the first leaves the label set.")
        if st.form_submit_button("Merge"):
            run_action("labels", lambda lead: merge_labels(project.db, source, target, actor=lead.name),
                       lambda n: f"Merged {escape_markdown(source)} into {escape_markdown(target)} "
                                 f"({n} label rows moved).")
            st.rerun()
with delete_tab:
    with st.form("ll_project_delete"):
        left, right = st.columns(2)
        doomed = left.selectbox("Delete", labels, key="ll_project_delete_label")
        move_to = right.selectbox("Move its labels to", [KEEP, *labels], key="ll_project_delete_move")
        st.caption("A label that labels use is deleted only when they move to another label.")
        if st.form_submit_button("Delete"):
            run_action("labels", lambda lead: delete_label(project.db, doomed, actor=lead.name,
                                                           move_to=None if move_to == KEEP else move_to),
                       f"Deleted the label {escape_markdown(doomed)}.")
            st.rerun()
message("labels")

# ---------------------------------------------------------------- settings
st.header("Guidelines and loop settings")
with st.form("ll_project_settings"):
    guidelines = st.text_area("Guidelines (markdown, shown to annotators)", settings.guidelines, height=200,
                              key="ll_project_guidelines")
    left, right = st.columns(2)
    batch_size = left.number_input("Batch size", value=int(settings.batch_size), step=1,
                                   help=SETTINGS["batch_size"].help, key="ll_project_batch_size")
    finetune_every = right.number_input("Fine-tune every", value=int(settings.finetune_every), step=10,
                                        help=SETTINGS["finetune_every"].help, key="ll_project_finetune_every")
    strategy = left.selectbox("Query strategy", STRATEGY_NAMES, index=STRATEGY_NAMES.index(settings.strategy),
                              help=SETTINGS["strategy"].help, key="ll_project_strategy")
    lease_seconds = right.number_input("Lease time (seconds)", value=int(settings.lease_seconds), step=60,
                                       help=SETTINGS["lease_seconds"].help, key="ll_project_lease")
    overlap_fraction = left.number_input("Overlap fraction", value=float(settings.overlap_fraction),
                                         step=0.05, format="%.2f", help=SETTINGS["overlap_fraction"].help,
                                         key="ll_project_overlap_fraction")
    overlap_k = right.number_input("Annotators per overlap item (k)", value=int(settings.overlap_k), step=1,
                                   help=SETTINGS["overlap_k"].help, key="ll_project_overlap_k")
    read_pause_ms = left.number_input("Read pause (ms)", value=int(settings.read_pause_ms), step=50,
                                      help=SETTINGS["read_pause_ms"].help, key="ll_project_read_pause")
    session_hours = right.number_input("Sign-in lasts (hours)", value=int(settings.session_hours), step=1,
                                       help=SETTINGS["session_hours"].help, key="ll_project_session_hours")
    prior_choices = SETTINGS["label_prior"].choices
    label_prior = left.selectbox("Label names as examples", prior_choices,
                                 index=prior_choices.index(settings.label_prior),
                                 help=SETTINGS["label_prior"].help, key="ll_project_label_prior")
    none_of_these = right.checkbox("Allow 'none of these' (an empty set)", value=bool(settings.none_of_these),
                                   help=SETTINGS["none_of_these"].help,
                                   key="ll_project_none_of_these") if multi_label else settings.none_of_these
    if st.form_submit_button("Save settings"):
        run_action(
            "settings",
            lambda lead: set_settings(
                project.db, guidelines=guidelines, batch_size=batch_size, finetune_every=finetune_every,
                strategy=strategy, lease_seconds=lease_seconds, overlap_fraction=overlap_fraction,
                overlap_k=overlap_k, read_pause_ms=read_pause_ms, session_hours=session_hours,
                label_prior=label_prior, none_of_these=none_of_these,
            ),
            "Settings saved.",
        )
        st.rerun()
message("settings")

# ---------------------------------------------------------------- context columns
st.header("Context beside each text")
shown = [name.strip() for name in settings.context_columns.split(",") if name.strip()]
available = sorted(set(metadata_columns(project)) | set(shown))
with st.form("ll_project_context"):
    chosen = st.multiselect(
        "Columns annotators see under the text", available, default=shown, key="ll_project_context_columns",
        help="Other columns of the imported files (author, date, product, thread, ...). Leave out any that "
             "would give the answer away, such as a label column.",
        placeholder="No other columns imported yet" if not available else "Choose columns",
    )
    if st.form_submit_button("Save columns"):
        run_action("context", lambda lead: set_settings(project.db, context_columns=",".join(chosen)),
                   "Saved: annotators see " + (escape_markdown(", ".join(chosen)) or "no other column") + ".")
        st.rerun()
message("context")

# ---------------------------------------------------------------- import
st.header("Import a file")
st.caption(f"Formats: {', '.join(READ_FORMATS)}. The whole file is checked first; a bad file changes nothing.")
with st.form("ll_project_import", clear_on_submit=True):
    upload = st.file_uploader("File", type=list(READ_EXTENSIONS), key="ll_project_upload")
    left, right = st.columns(2)
    text_column = left.text_input("Text column", "text", key="ll_project_text_column")
    id_column = right.text_input("Id column (optional)", "", key="ll_project_id_column")
    label_column = left.text_input("Label column (optional)", "", key="ll_project_label_column")
    annotator = right.text_input("Labels are by", "import", key="ll_project_import_annotator",
                                 help="the annotator name recorded for imported labels")
    context = st.text_input("Columns to show annotators beside each text (optional, comma-separated)", "",
                            key="ll_project_import_context", help="e.g. author,date,product")
    eval_set = st.checkbox("This file is the evaluation set (never trained on)", key="ll_project_import_eval")
    if st.form_submit_button("Import"):
        def do_import(lead):
            if upload is None:
                raise InputError("choose a file to import first")
            return import_upload(
                project, upload.name, upload.getvalue(), text_column=text_column.strip() or "text",
                id_column=id_column.strip() or None, label_column=label_column.strip() or None,
                annotator=annotator.strip(), eval_set=eval_set,
                context_columns=[name.strip() for name in context.split(",") if name.strip()] or None,
            )

        run_action("import", do_import, lambda summary: escape_markdown(summary.describe()).replace("\n", "  \n"))
        st.rerun()
message("import")

# ---------------------------------------------------------------- evaluation set
st.header("Evaluation set")
unlabeled = counts["unlabeled"]
st.caption(
    "Reserve a seeded random sample of unlabeled pool items. They are labeled like any other item but "
    "never trained on, so the learning curve on the Dashboard is measured on an unbiased sample. "
    f"{unlabeled} unlabeled pool items are available."
)
with st.form("ll_project_eval"):
    left, right = st.columns(2)
    size = left.number_input("Items to reserve", min_value=1, value=max(1, min(200, unlabeled)), step=10,
                             key="ll_project_eval_size")
    seed = right.number_input("Seed", value=int(settings.seed), step=1, key="ll_project_eval_seed")
    if st.form_submit_button("Reserve"):
        run_action("eval", lambda lead: reserve_eval_set(project, int(size), seed=int(seed)),
                   lambda ids: f"Reserved {len(ids)} evaluation items.")
        st.rerun()
message("eval")
