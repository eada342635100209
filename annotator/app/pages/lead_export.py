"""Export page: the labeled dataset (CSV, JSONL, Parquet; final or raw labels) and the model zip.

Files are built on the server when the lead asks ("Prepare"), then offered
with ``st.download_button``. UI only: annotator.exporter and
annotator.model_export do the work.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from annotator.app import session
from annotator.errors import LabelloopError
from annotator.exporter import export
from annotator.io.writers import WRITE_FORMATS
from annotator.model_export import archive_name, current_finetuned, zip_model

MIME = {"csv": "text/csv", "jsonl": "application/jsonl", "parquet": "application/vnd.apache.parquet"}
DATA_KEY = "ll_export_file"
MODEL_KEY = "ll_export_model"

user = session.require_page_role("lead")
project = session.project()

st.title("Export")

st.header("Labeled data")
left, mid, right = st.columns(3)
fmt = left.radio("Format", WRITE_FORMATS, format_func=str.upper, key="ll_export_format", horizontal=True)
which = mid.radio(
    "Labels", ["final", "raw"], key="ll_export_which",
    format_func={"final": "Final (one row per item)", "raw": "Raw (every label, with history)"}.get,
)
include_eval = right.checkbox("Include the evaluation set", value=True, key="ll_export_eval")
options = (fmt, which, include_eval)


def prepare_data() -> None:
    lead = session.authorized("lead")
    if lead is None:
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"labels.{fmt}"
        try:
            rows = export(session.project(), path, fmt, raw=(which == "raw"), include_eval=include_eval)
        except LabelloopError as error:
            st.session_state[DATA_KEY] = {"error": str(error), "options": options}
            return
        st.session_state[DATA_KEY] = {"bytes": path.read_bytes(), "rows": rows, "options": options}


st.button("Prepare export", key="ll_export_prepare", on_click=prepare_data, icon=":material/table_view:")
prepared = st.session_state.get(DATA_KEY)
if prepared and prepared["options"] == options:
    if "error" in prepared:
        st.error(prepared["error"])
    else:
        name = f"{project.path.name}-{which}-labels.{fmt}"
        st.download_button(
            f"Download {name} ({prepared['rows']} rows)", prepared["bytes"], file_name=name,
            mime=MIME[fmt], key="ll_export_download", icon=":material/download:", on_click="ignore",
        )

st.header("Model")
version = current_finetuned(project)
if version is None:
    st.info("No fine-tuned model yet: the worker saves one after the first fine-tune.")
else:
    st.caption(
        f"Version {version['version']}, fine-tuned on {version['n_labels']} labels. The zip holds one "
        f"folder, {archive_name(project, version['version'])}/, loadable with "
        "transformers.pipeline(\"text-classification\", model=FOLDER) with the project's label names."
    )

    def prepare_model() -> None:
        lead = session.authorized("lead")
        if lead is None:
            return
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder) / "model.zip"
            try:
                zip_model(session.project(), out, version=version["version"])
            except LabelloopError as error:
                st.session_state[MODEL_KEY] = {"error": str(error), "version": version["version"]}
                return
            st.session_state[MODEL_KEY] = {"bytes": out.read_bytes(), "version": version["version"]}

    st.button("Prepare model zip", key="ll_export_model_prepare", on_click=prepare_model, icon=":material/folder_zip:")
    model = st.session_state.get(MODEL_KEY)
    if model and model["version"] == version["version"]:
        if "error" in model:
            st.error(model["error"])
        else:
            name = f"{archive_name(project, version['version'])}.zip"
            st.download_button(
                f"Download {name}", model["bytes"], file_name=name, mime="application/zip",
                key="ll_export_model_download", icon=":material/download:", on_click="ignore",
            )
