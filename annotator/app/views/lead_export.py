"""Export page: the labeled dataset (CSV, JSONL, Parquet; final or raw labels) and the model zip.

Files are built on the server when the lead asks ("Prepare"), then offered
with ``st.download_button``. UI only: annotator.services.exports and
annotator.services.model_export do the work.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from annotator.app import session
from annotator.app.keys import escape_markdown
from annotator.errors import LabelloopError, ProjectError
from annotator.services.exports import WRITE_FORMATS, export
from annotator.services.model_export import (
    archive_name,
    describe_predictor,
    export_notice,
    exportable_version,
    exported_summary,
    load_hint,
    model_classes,
    quarantined_versions,
    zip_model,
)
from annotator.services.predictions import latest_pool_predictions, request_pool_predictions

MIME = {"csv": "text/csv", "jsonl": "application/jsonl", "parquet": "application/vnd.apache.parquet"}
DATA_KEY = "ll_export_file"
MODEL_KEY = "ll_export_model"
PREDICT_KEY = "ll_predict_error"

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
            rows = export(session.project(), path, fmt, raw=(which == "raw"), include_eval=include_eval,
                          name=f"labels.{fmt}")
        except LabelloopError as error:
            st.session_state[DATA_KEY] = {"error": str(error), "options": options}
            return
        st.session_state[DATA_KEY] = {"bytes": path.read_bytes(), "rows": rows, "options": options}


st.button("Prepare export", key="ll_export_prepare", on_click=prepare_data, icon=":material/table_view:")
prepared = st.session_state.get(DATA_KEY)
if prepared and prepared["options"] == options:
    if "error" in prepared:
        st.error(escape_markdown(prepared["error"]))
    else:
        name = f"{project.path.name}-{which}-labels.{fmt}"
        st.download_button(
            f"Download {name} ({prepared['rows']} rows)", prepared["bytes"], file_name=name,
            mime=MIME[fmt], key="ll_export_download", icon=":material/download:", on_click="ignore",
        )

st.header("Model")
notice = export_notice(project)
if notice:
    st.warning(escape_markdown(notice))
for damaged in quarantined_versions(project):
    st.error(f"Version {damaged['version']} was quarantined: {escape_markdown(damaged['quarantined'])}. "
             "It is never loaded or exported again; its files are in models/quarantine/.")
try:
    version = exportable_version(project)
except ProjectError as error:
    version = None
    st.info(str(error))
if version is not None:
    metrics = version["metrics"] or {}
    exported = exported_summary(version)
    if metrics.get("accuracy") is not None:
        measured = (f"measured on this zip's model: {exported['accuracy']:.3f}" if exported["accuracy"] is not None
                    else "the zip's own figure is measured by the worker when idle, or by `labelloop stats`")
        quality = (f"Micro-F1 {metrics['micro_f1']:.3f}, macro-F1 {metrics['macro_f1']:.3f}, subset accuracy "
                   f"{metrics['subset_accuracy']:.3f} on {metrics['n_eval']} evaluation texts."
                   if metrics.get("micro_f1") is not None else
                   f"Accuracy {metrics['accuracy']:.3f}, macro-F1 {metrics['macro_f1']:.3f} on "
                   f"{metrics['n_eval']} evaluation texts ({measured}).")
    else:
        quality = "Not evaluated: no labeled evaluation set."
    st.text(
        f"Version {version['version']}: {describe_predictor(version)}, trained on {version['n_labels']} labels. "
        f"{quality} This is the model the Dashboard measures and the suggestions come from. The zip holds one "
        f"folder, {archive_name(project, version['version'])}/; load it with {load_hint(project)}."
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
            st.error(escape_markdown(model["error"]))
        else:
            name = f"{archive_name(project, version['version'])}.zip"
            st.download_button(
                f"Download {name}", model["bytes"], file_name=name, mime="application/zip",
                key="ll_export_model_download", icon=":material/download:", on_click="ignore",
            )

    st.header("Predictions for the unlabeled pool")
    st.caption("Every unlabeled text with the model's label (in a multi-label project: its set, the labels whose "
               "probability reaches their threshold), its confidence and each label's probability "
               "(or the top K), computed by the background worker with the model above. From the command "
               "line, for any file: labelloop predict FILE --out preds.csv")
    left, right = st.columns(2)
    pred_fmt = left.radio("Format", WRITE_FORMATS, format_func=str.upper, key="ll_predict_format", horizontal=True)
    top = right.number_input("Top K labels (0: all probabilities)", min_value=0,
                             max_value=len(model_classes(project, version["version"])), value=0, key="ll_predict_top")

    def request_predictions() -> None:
        lead = session.authorized("lead")
        if lead is None:
            return
        try:
            request_pool_predictions(session.project(), fmt=pred_fmt, top_k=int(top) or None, requested_by=lead)
        except LabelloopError as error:
            st.session_state[PREDICT_KEY] = str(error)

    job = latest_pool_predictions(project)
    waiting = job is not None and job["status"] in ("queued", "running")
    st.button("Predict the unlabeled pool", key="ll_predict_request", on_click=request_predictions,
              disabled=waiting, icon=":material/batch_prediction:")
    if st.session_state.get(PREDICT_KEY):
        st.error(escape_markdown(st.session_state.pop(PREDICT_KEY)))
    if job is not None:
        if waiting:
            st.progress(float(job["progress"] or 0.0), text=job["message"] or "waiting for the worker")
            st.caption("Reload the page to see the progress; the worker must be running (labelloop serve starts it).")
        elif job["status"] == "failed":
            st.error(f"The last predictions failed: {escape_markdown(job['error'])}")
        elif job["status"] == "done" and job.get("file") is not None and job["file"].is_file():
            result = job["result"]
            st.download_button(
                f"Download predictions of model v{result['version']} ({result['rows']:,} texts)",
                job["file"].read_bytes(), file_name=job["file"].name, mime=MIME[job["file"].suffix.lstrip(".")],
                key="ll_predict_download", icon=":material/download:", on_click="ignore",
            )
