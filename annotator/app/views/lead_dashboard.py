"""The lead's dashboard: progress, annotators, agreement, model quality, stopping signal.

Charts first (Altair), the numbers behind each chart in an expander. UI only:
every number comes from annotator.services.dashboard, cached on a stamp of the data
(newest label, newest supersede, newest model version, pool size) so a rerun
without new labels costs one small query.
"""

from __future__ import annotations

import math

import altair as alt
import pandas as pd
import streamlit as st

from annotator.app import navigation, session
from annotator.services import dashboard
from annotator.services.label_mode import is_multi_label

user = session.require_page_role("lead")
st.set_page_config(page_title="Dashboard · Labelloop", layout="wide")
project = session.project()


@st.cache_data(show_spinner="Computing the dashboard…", max_entries=8)
def load(_project, project_dir: str, stamp: tuple) -> dashboard.Dashboard:
    """Keyed on the folder and the data stamp (``_project`` is not hashed)."""
    return dashboard.load_dashboard(_project)


def number(value: float | None, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{digits}f}"


def table(frame: pd.DataFrame, title: str = "Table") -> None:
    with st.expander(title):
        st.dataframe(frame, hide_index=True, width="stretch")


data = load(project, str(project.path), dashboard.data_stamp(project))
counts = data.counts
summary = data.agreement.summary
curve = data.learning_curve

st.title("Dashboard")
multi_label = is_multi_label(project.db)
if multi_label:
    st.caption("A multi-label project: each text gets a set of labels; the model's figures are micro-F1, "
               "macro-F1 and subset accuracy (the share of texts whose whole set is right).")
cols = st.columns(6)
cols[0].metric("Pool", f"{counts['pool']:,}")
cols[1].metric("Labeled", f"{counts['labeled']:,}",
               help="pool items with at least one current label (evaluation items not counted)")
cols[2].metric("Evaluation set", f"{counts['eval_labeled']:,} / {counts['eval']:,}", help="labeled / reserved")
cols[3].metric("Adjudicated", f"{data.adjudicated:,}")
cols[4].metric("Krippendorff α (MASI)" if multi_label else "Krippendorff α", number(summary["krippendorff_alpha"]),
               help=("whole sets, MASI distance" if multi_label else "nominal")
               + f", over {summary['n_items']} items labeled by two or more annotators")
model = data.model
exported = model["exported"] or {}
if multi_label and model.get("micro_f1") is not None:
    cols[5].metric(f"Model v{model['version']} micro-F1", number(model["micro_f1"]),
                   help=f"macro-F1 {number(model['macro_f1'])} · subset accuracy {number(model['subset_accuracy'])} "
                        f"on {model['n_eval']} evaluation texts ({model['predictor']})")
else:
    cols[5].metric(
        f"Model v{model['version']} accuracy" if model["predictor"] else "Model accuracy", number(model["accuracy"]),
        help=(f"the current model ({model['predictor']}) on {model['n_eval']} evaluation texts: the model the "
              "suggestions come from and Export gives. Measured on the exported model itself: "
              f"{number(exported.get('accuracy'))} on {exported.get('n_eval', 0)} texts"
              + ("" if exported.get("accuracy") is not None else " (not measured yet: the worker does it when idle)"))
        if model["predictor"] else "no model yet",
    )

# ---------------------------------------------------------------- waiting for review
waiting = dashboard.review_counts(project)
cols = st.columns([1, 1, 1, 1, 1.2], vertical_alignment="bottom")
cols[0].metric("Disagreements", f"{data.disagreements:,}", help="texts whose annotators disagree, not settled yet")
cols[1].metric("Late labels", f"{waiting['late']:,}", help="labels saved after their reservation ran out")
cols[2].metric("Flagged texts", f"{waiting['flagged']:,}",
               help=f"out of the queue until you return them ({waiting['excluded']:,} kept out for good)")
cols[3].metric("Unread comments", f"{waiting['unread_comments']:,}")
if cols[4].button("Open the Review page", key="ll_dashboard_review", icon=":material/rule:"):
    st.switch_page(navigation.page_for("review"))

# ---------------------------------------------------------------- progress
st.header("Progress")
left, right = st.columns(2)
with left:
    st.subheader("Labeled vs pool over time")
    if data.progress.empty:
        st.info("No examples yet: import a file on the Project page.")
    else:
        long = data.progress.melt(id_vars="time", value_vars=["pool_total", "labeled_total"],
                                  var_name="series", value_name="examples")
        long["series"] = long["series"].map({"pool_total": "pool", "labeled_total": "labeled"})
        st.altair_chart(
            alt.Chart(long).mark_line(interpolate="step-after", point=True).encode(
                x=alt.X("time:T", title=None), y=alt.Y("examples:Q", title="examples"),
                color=alt.Color("series:N", title=None), tooltip=["time:T", "series:N", "examples:Q"],
            ),
            width="stretch",
        )
        table(data.progress)
with right:
    st.subheader("Per label")
    st.altair_chart(
        alt.Chart(data.per_label).mark_bar().encode(
            x=alt.X("n_items:Q", title="items with this label"),
            y=alt.Y("label:N", sort=list(data.per_label["label"]), title=None),
            tooltip=["label:N", "n_items:Q", "n_labels:Q"],
        ),
        width="stretch",
    )
    if not data.label_progress.empty:
        st.altair_chart(
            # points too: a label whose labels all fall in one time bucket is one point, not a line
            alt.Chart(data.label_progress).mark_line(interpolate="step-after", point=True).encode(
                x=alt.X("time:T", title=None), y=alt.Y("cumulative:Q", title="labels"),
                color=alt.Color("label:N"), tooltip=["time:T", "label:N", "cumulative:Q"],
            ).properties(height=200),
            width="stretch",
        )
    table(data.per_label)

# ---------------------------------------------------------------- annotators
st.header("Annotators")
if data.annotators.empty:
    st.info("No annotations yet.")
else:
    left, mid, right = st.columns(3)
    with left:
        st.subheader("Labels per active hour")
        st.altair_chart(
            alt.Chart(data.annotators).mark_bar().encode(
                x=alt.X("labels_per_hour:Q", title="labels / hour"), y=alt.Y("annotator:N", title=None),
                tooltip=["annotator:N", "n_labels:Q", alt.Tooltip("active_hours:Q", format=".2f"),
                         alt.Tooltip("labels_per_hour:Q", format=".0f")],
            ),
            width="stretch",
        )
    with mid:
        st.subheader("Median seconds")
        st.altair_chart(
            alt.Chart(data.annotators).mark_bar().encode(
                x=alt.X("median_seconds:Q", title="seconds"), y=alt.Y("annotator:N", title=None),
                tooltip=["annotator:N", alt.Tooltip("median_seconds:Q", format=".1f")],
            ),
            width="stretch",
        )
    with right:
        st.subheader("Label distribution")
        st.altair_chart(
            alt.Chart(data.annotator_labels).mark_bar().encode(
                x=alt.X("share:Q", title="share of their labels", axis=alt.Axis(format="%")),
                y=alt.Y("annotator:N", title=None), color=alt.Color("label:N"),
                tooltip=["annotator:N", "label:N", "n:Q", alt.Tooltip("share:Q", format=".1%")],
            # tall enough for the legend beside it: one annotator's single bar would cut it off
            ).properties(height=max(22 * data.annotator_labels["label"].nunique() + 20,
                                    30 * data.annotators["annotator"].nunique())),
            width="stretch",
        )
    table(data.annotators, "Table: annotators")
    table(data.annotator_labels, "Table: label distribution")

# ---------------------------------------------------------------- agreement
st.header("Agreement")
if multi_label:
    st.caption(
        f"Over {summary['n_items']} texts with two or more annotators' sets (current sets; adjudications are not "
        "votes). Whole sets: Krippendorff's α with the MASI distance (Passonneau 2006: a set holding the other, "
        "or overlapping it, is a partial disagreement). Per label: each label as a yes/no rating."
    )
    st.columns(3)[0].metric("Krippendorff's α (MASI, whole sets)", number(summary["krippendorff_alpha"]))
else:
    st.caption(
        f"Over {summary['n_items']} items labeled by two or more annotators (current labels; "
        "adjudications are not votes). Fleiss' κ uses each item's own number of raters."
    )
    cols = st.columns(3)
    cols[0].metric("Percent agreement", number(summary["percent"]))
    cols[1].metric("Fleiss' κ", number(summary["fleiss_kappa"]))
    cols[2].metric("Krippendorff's α (nominal)", number(summary["krippendorff_alpha"]))
if summary["n_items"] == 0:
    st.info("No item has two annotators yet. Set an overlap fraction on the Project page.")
else:
    left, right = st.columns(2)
    if not multi_label:  # a multi-label project has no pairwise table
        with left:
            st.subheader("Cohen's κ per pair")
            pairs = data.agreement.pairwise
            swapped = pairs.rename(columns={"annotator_a": "annotator_b", "annotator_b": "annotator_a"})
            both = pd.concat([pairs, swapped])
            base = alt.Chart(both).encode(
                x=alt.X("annotator_a:N", title=None), y=alt.Y("annotator_b:N", title=None),
            )
            st.altair_chart(
                base.mark_rect().encode(
                    color=alt.Color("cohen_kappa:Q", title="κ", scale=alt.Scale(domain=[-1, 1], scheme="redblue")),
                    tooltip=["annotator_a:N", "annotator_b:N", "n_items:Q",
                             alt.Tooltip("cohen_kappa:Q", format=".3f"), alt.Tooltip("percent:Q", format=".1%")],
                )
                + base.mark_text().encode(text=alt.Text("cohen_kappa:Q", format=".2f")),
                width="stretch",
            )
            table(pairs, "Table: pairs")
    with left if multi_label else right:
        st.subheader("Per label (one vs rest)")
        per_label = data.agreement.per_label
        st.altair_chart(
            alt.Chart(per_label.dropna(subset=["krippendorff_alpha"])).mark_bar().encode(
                x=alt.X("krippendorff_alpha:Q", title="Krippendorff's α", scale=alt.Scale(domain=[-1, 1])),
                y=alt.Y("label:N", sort=list(per_label["label"]), title=None),
                tooltip=["label:N", "n_ratings:Q", alt.Tooltip("krippendorff_alpha:Q", format=".3f"),
                         alt.Tooltip("fleiss_kappa:Q", format=".3f")],
            ),
            width="stretch",
        )
        table(per_label, "Table: per label")

# ---------------------------------------------------------------- model quality
st.header("Model quality on the evaluation set")
if curve.empty and counts["eval_labeled"]:
    st.info(
        f"No model scored yet: the worker scores every new version on the {counts['eval_labeled']:,} labeled "
        "evaluation texts (never trained on them); it trains the first one once two labels have "
        "training labels (labelloop serve runs the worker)."
    )
elif curve.empty:
    st.info(
        "No evaluated model version yet. Reserve an evaluation set (Project page) and label some of "
        "it: every new version is then scored on it (never trained on it)."
    )
else:
    left, right = st.columns(2)
    with left:
        st.subheader("Learning curve")
        st.caption("Each point is one version's model, the one Export gives for that version: the embedding "
                   "head on the base encoder or on the latest fine-tuned one.")
        shown = (curve.rename(columns={"accuracy": "subset_accuracy"}) if multi_label else curve)
        long = shown.melt(id_vars=["version", "kind", "model", "n_labels"], var_name="metric", value_name="value",
                          value_vars=["micro_f1", "macro_f1", "subset_accuracy"] if multi_label
                          else ["accuracy", "macro_f1"])
        st.altair_chart(
            alt.Chart(long).mark_line(point=True).encode(
                x=alt.X("n_labels:Q", title="training labels", axis=alt.Axis(format="d")),
                y=alt.Y("value:Q", title=None, scale=alt.Scale(domain=[0, 1])),
                color=alt.Color("metric:N", title=None),
                tooltip=["version:Q", "model:N", "n_labels:Q", "metric:N", alt.Tooltip("value:Q", format=".3f")],
            ),
            width="stretch",
        )
        table(shown if multi_label else curve.drop(columns="micro_f1"))
    with right:
        if multi_label:
            quality = data.label_quality
            st.subheader("Per label (current version)")
            st.caption("Precision, recall and F1 of each label on the labeled evaluation texts: the model's "
                       "suggested set of each against its final set.")
            if quality is None or quality.empty:
                st.info("The current version has no per-label figures yet.")
            else:
                st.altair_chart(
                    alt.Chart(quality).mark_bar().encode(
                        x=alt.X("f1:Q", title="F1", scale=alt.Scale(domain=[0, 1])),
                        y=alt.Y("label:N", sort=list(quality["label"]), title=None),
                        tooltip=["label:N", alt.Tooltip("precision:Q", format=".3f"),
                                 alt.Tooltip("recall:Q", format=".3f"), alt.Tooltip("f1:Q", format=".3f"),
                                 "support:Q"],
                    ),
                    width="stretch",
                )
                table(quality, "Table: per label")
        else:
            st.subheader(f"Confusion matrix (version {data.confusion_version})")
            if data.confusion.empty:
                st.info("The current version has no confusion matrix.")
            else:
                base = alt.Chart(data.confusion).encode(
                    x=alt.X("predicted:N", title="predicted"), y=alt.Y("true:N", title="label"),
                )
                st.altair_chart(
                    base.mark_rect().encode(color=alt.Color("n:Q", title="items"),
                                            tooltip=["true:N", "predicted:N", "n:Q"])
                    + base.mark_text().encode(text="n:Q"),
                    width="stretch",
                )
                table(data.confusion.pivot(index="true", columns="predicted", values="n").reset_index())

# ---------------------------------------------------------------- stopping signal
st.header("Stopping signal")
st.caption(
    "Pool predictions that changed between consecutive model versions, and Cohen's κ between them. "
    "When few predictions change and κ stays near 1, more labels are no longer changing the model."
)
if data.stopping.empty:
    st.info("Needs two model versions whose scores are kept (the newest few).")
else:
    frame = data.stopping.assign(pair=lambda f: "v" + f["old"].astype(str) + "→v" + f["new"].astype(str))
    left, right = st.columns(2)
    with left:
        st.altair_chart(
            alt.Chart(frame).mark_bar().encode(
                x=alt.X("pair:N", sort=list(frame["pair"]), title=None),
                y=alt.Y("changed_fraction:Q", title="predictions changed", axis=alt.Axis(format="%")),
                tooltip=["pair:N", "n_changed:Q", "n_compared:Q", alt.Tooltip("changed_fraction:Q", format=".2%")],
            ),
            width="stretch",
        )
    with right:
        st.altair_chart(
            alt.Chart(frame).mark_line(point=True).encode(
                x=alt.X("pair:N", sort=list(frame["pair"]), title=None),
                y=alt.Y("kappa:Q", title="κ between versions", scale=alt.Scale(domain=[0, 1])),
                tooltip=["pair:N", alt.Tooltip("kappa:Q", format=".3f")],
            ),
            width="stretch",
        )
    table(data.stopping)
