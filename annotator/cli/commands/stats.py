"""labelloop stats --project DIR [--json]"""

from __future__ import annotations

import argparse
import json

from annotator.cli.options import add_project_option
from annotator.services.model_export import measurement_due
from annotator.services.projects import open_project
from annotator.services.stats import project_stats


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "stats",
        help="show pool size, labeled count, counts per label and per annotator, and the model",
        description="Show the project's counts (pool, labeled, evaluation set, current labels per "
        "label and per annotator), agreement, and the current model: its evaluation figures and "
        "those of its exported artifact (model.exported: measured by loading the zip's model and "
        "scoring the evaluation set; measured here when the worker has not done it yet).",
        epilog="Examples:\n  labelloop stats\n  labelloop stats --json | jq .model.exported",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_project_option(parser)
    parser.add_argument("--json", action="store_true", help="print the statistics as one JSON object")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with open_project(args.project) as project:
        version = measurement_due(project, need_eval=True)
        if version is not None:
            from annotator.services.training.export_eval import measure_exported  # imports torch

            measure_exported(project, version)
        stats = project_stats(project)
    if args.json:
        print(json.dumps(stats, indent=2, ensure_ascii=False))
        return 0
    print(f"project:   {stats['label_mode']}")
    print(f"pool:      {stats['pool']} texts to label (the evaluation set apart: {stats['eval']} texts, "
          f"{stats['eval_labeled']} labeled)")
    print(f"labeled:   {stats['labeled']} of the pool  unlabeled: {stats['unlabeled']}")
    print(f"labels:    {stats['labels_current']} current, {stats['labels_total']} in history")
    print("per label:")
    for name, count in stats["per_label"].items():
        print(f"  {name}: {count}")
    print("per annotator:")
    for name, count in stats["per_annotator"].items():
        print(f"  {name}: {count}")
    if not stats["per_annotator"]:
        print("  (none yet)")
    if "set_agreement" in stats:  # a multi-label project
        sets = stats["set_agreement"]
        alpha = "undefined" if sets["masi_alpha"] is None else f"{sets['masi_alpha']:.4f}"
        print(f"agreement: Krippendorff's alpha (MASI) {alpha} over {sets['n_items']} texts with 2+ sets")
    model = stats.get("model") or {}
    if model.get("predictor"):
        exported = model.get("exported") or {}
        figure = "not evaluated (no labeled evaluation set)" if exported.get("accuracy") is None else \
            f"accuracy {exported['accuracy']:.4f}, macro-F1 {exported['macro_f1']:.4f} on {exported['n_eval']} texts"
        if stats["label_mode"] == "multi-label":  # the zip holds the same head: its figures are the version's
            figure = "the same head, scored below" if model.get("micro_f1") is not None else \
                "not evaluated (no labeled evaluation set)"
        print(f"model:     v{model['version']} ({model['predictor']}, {model['n_labels']} labels); "
              f"exported model: {figure}")
        if model.get("micro_f1") is not None:  # a multi-label project
            print(f"           micro-F1 {model['micro_f1']:.4f}, macro-F1 {model['macro_f1']:.4f}, subset accuracy "
                  f"{model['subset_accuracy']:.4f} on {model['n_eval']} evaluation texts")
    else:
        print("model:     none yet")
    return 0
