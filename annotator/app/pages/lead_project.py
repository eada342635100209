"""Project page: label set, guidelines and loop settings, importing a file, the evaluation set.

UI only: settings are validated by annotator.services.settings.set_settings (the
one source of configuration), uploads go through annotator.services.uploads (the same
import_file and validation as ``labelloop import``), the evaluation set through
annotator.services.evalset. Every action re-checks the lead role.
"""

from __future__ import annotations

import streamlit as st

from annotator.app import session
from annotator.app.keys import escape_markdown
from annotator.config import SETTINGS, STRATEGY_NAMES
from annotator.errors import InputError, LabelloopError
from annotator.services.evalset import pool_counts_of, reserve_eval_set
from annotator.services.imports import READ_EXTENSIONS, READ_FORMATS
from annotator.services.labelset import add_labels, get_labels
from annotator.services.settings import get_settings, set_settings
from annotator.services.uploads import import_upload

FLASH_KEY = "ll_project_flash"

user = session.require_page_role("lead")
project = session.project()


def run_action(action, success) -> None:
    """Run ``action()`` if the session still belongs to a lead; keep the outcome for the page."""
    if session.authorized("lead") is None:
        return
    try:
        result = action()
    except LabelloopError as error:
        st.session_state[FLASH_KEY] = ("error", escape_markdown(str(error)))
    else:
        st.session_state[FLASH_KEY] = ("success", success(result) if callable(success) else success)


st.title("Project")
flash = st.session_state.pop(FLASH_KEY, None)
if flash:
    getattr(st, flash[0])(flash[1])
settings = get_settings(project.db)
counts = pool_counts_of(project)
st.caption(
    f"{project.path} · {counts['pool']} pool items ({counts['labeled']} labeled) · "
    f"{counts['eval']} evaluation items ({counts['eval_labeled']} labeled)"
)

# ---------------------------------------------------------------- labels
st.header("Label set")
st.text(", ".join(get_labels(project.db)))  # as typed, never as markdown
with st.form("ll_project_label", clear_on_submit=True):
    new_label = st.text_input("New label", key="ll_project_new_label",
                              help="Appended at the end of the set. Labels cannot be renamed or removed.")
    if st.form_submit_button("Add label"):
        run_action(lambda: add_labels(project.db, [new_label]), f"Added the label {escape_markdown(new_label)}.")
        st.rerun()

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
    if st.form_submit_button("Save settings"):
        run_action(
            lambda: set_settings(
                project.db, guidelines=guidelines, batch_size=batch_size, finetune_every=finetune_every,
                strategy=strategy, lease_seconds=lease_seconds, overlap_fraction=overlap_fraction,
                overlap_k=overlap_k, read_pause_ms=read_pause_ms,
            ),
            "Settings saved.",
        )
        st.rerun()

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
    eval_set = st.checkbox("This file is the evaluation set (never trained on)", key="ll_project_import_eval")
    if st.form_submit_button("Import"):
        def do_import():
            if upload is None:
                raise InputError("choose a file to import first")
            return import_upload(
                project, upload.name, upload.getvalue(), text_column=text_column.strip() or "text",
                id_column=id_column.strip() or None, label_column=label_column.strip() or None,
                annotator=annotator.strip(), eval_set=eval_set,
            )

        run_action(do_import, lambda summary: escape_markdown(summary.describe()).replace("\n", "  \n"))
        st.rerun()

# ---------------------------------------------------------------- evaluation set
st.header("Evaluation set")
available = counts["unlabeled"]
st.caption(
    "Reserve a seeded random sample of unlabeled pool items. They are labeled like any other item but "
    "never trained on, so the learning curve on the Dashboard is measured on an unbiased sample. "
    f"{available} unlabeled pool items are available."
)
with st.form("ll_project_eval"):
    left, right = st.columns(2)
    size = left.number_input("Items to reserve", min_value=1, value=max(1, min(200, available)), step=10,
                             key="ll_project_eval_size")
    seed = right.number_input("Seed", value=int(settings.seed), step=1, key="ll_project_eval_seed")
    if st.form_submit_button("Reserve"):
        run_action(lambda: reserve_eval_set(project, int(size), seed=int(seed)),
                   lambda ids: f"Reserved {len(ids)} evaluation items.")
        st.rerun()
