#!/usr/bin/env python
"""Is the exported model the model the tool shows? Exported zip vs head vs fine-tuned classifier.

Builds a project as a lead would: the dataset's train texts as the unlabeled
pool, its test file imported with labels as the evaluation set. A simulated
annotator then labels from the queue with the gold answers, batch after batch,
while the worker's own functions refresh the head after every batch and
fine-tune every ``finetune_every`` labels (the product's defaults). At each
checkpoint it records, on the evaluation set:

* ``shown``: the accuracy the Dashboard shows (the current version's metrics);
* ``exported``: ``labelloop export --model`` -> unzip -> ``transformers.pipeline``
  (truncation=True), scored here;
* ``stats``: ``stats --json`` ``model.exported.accuracy`` (measured on the artifact);
* ``classifier``: the last fine-tune's own sequence classifier (what version 0.1
  exported), when a fine-tune has run.

::

    python scripts/measure_export.py --data ../shared/datasets/trec --checkpoints 50,100,200,500 \\
        --json docs/bench/export_trec.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np


def read(path: Path, limit: int | None = None) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows[:limit] if limit else rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="a dataset folder (train.jsonl, test.jsonl)")
    parser.add_argument("--checkpoints", default="50,100,200,500")
    parser.add_argument("--batch", type=int, default=25)
    parser.add_argument("--test-limit", type=int, default=None)
    parser.add_argument("--pool-limit", type=int, default=None)
    parser.add_argument("--model", default=None, help="base model setting (default: the product default)")
    parser.add_argument("--workdir", default=None)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)

    from transformers import pipeline

    from annotator.services import queue
    from annotator.services.dashboard import model_stats
    from annotator.services.imports import import_file
    from annotator.services.model_export import describe_predictor, zip_model
    from annotator.services.projects import create_project
    from annotator.services.settings import get_settings, set_settings
    from annotator.services.training.export_eval import measure_exported
    from annotator.services.training.finetune import finetune
    from annotator.services.training.models import load_models, model_dir
    from annotator.services.training.refresh import refresh
    from annotator.services.training.triggers import finetune_blocker, new_training_labels
    from annotator.store.trainset import eval_labels as eval_set
    from annotator.store.trainset import training_examples_per_label
    from annotator.store.versions import current_version, latest_version
    from learner.classifier import TransformerClassifier

    folder = Path(args.data)
    checkpoints = sorted(int(c) for c in args.checkpoints.split(","))
    train, test = read(folder / "train.jsonl", args.pool_limit), read(folder / "test.jsonl", args.test_limit)
    work = Path(tempfile.mkdtemp(prefix="measure-export-", dir=args.workdir))
    (work / "pool.jsonl").write_text("".join(json.dumps({"text": r["text"]}) + "\n" for r in train))
    (work / "eval.jsonl").write_text("".join(json.dumps(r) + "\n" for r in test))
    project = create_project(work / "project", sorted({r["label"] for r in train}))
    if args.model:
        set_settings(project.db, model=args.model)
    import_file(project, work / "pool.jsonl")
    import_file(project, work / "eval.jsonl", label_column="label", eval_set=True)
    settings = get_settings(project.db)
    answers = {r["text"]: r["label"] for r in train}
    started = time.perf_counter()
    models = load_models(project)
    refresh(project, models)
    print(f"[{folder.name}] pool embedded in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    points, labeled = [], 0
    while labeled < checkpoints[-1]:
        for _ in range(args.batch):
            item = queue.next_item(project, "simulator")
            queue.save_label(project, "simulator", item.example_id, answers[item.text])
            labeled += 1
        refresh(project, models)
        tuned = latest_version(project.db, "finetune")
        if new_training_labels(project.db, tuned) >= settings.finetune_every and finetune_blocker(
                training_examples_per_label(project.db), settings.finetune_min_per_class) is None:
            tick = time.perf_counter()
            finetune(project, models)
            print(f"[{folder.name}] fine-tuned at {labeled} labels in {time.perf_counter() - tick:.0f} s",
                  file=sys.stderr, flush=True)
        if labeled not in checkpoints:
            continue
        version = current_version(project.db)
        zipped = zip_model(project, work / f"model-{labeled}.zip")
        with zipfile.ZipFile(zipped) as archive:
            archive.extractall(work / f"model-{labeled}")
            top = archive.namelist()[0].split("/")[0]
        classify = pipeline("text-classification", model=str(work / f"model-{labeled}" / top), truncation=True,
                            device="cpu", batch_size=32)
        # the evaluation set as the project holds it (an import keeps one copy of a repeated text)
        stored = eval_set(project.db)
        exported = float(np.mean([a["label"] == y for a, y in
                                  zip(classify([t for _, t, _ in stored]), [y for _, _, y in stored])]))
        measured = measure_exported(project, version["version"])
        tuned = latest_version(project.db, "finetune")
        classifier = None
        if tuned is not None:
            own = TransformerClassifier.load(model_dir(project, tuned["version"]), device="cpu")
            stored = eval_set(project.db)
            classifier = float(np.mean(own.predict([t for _, t, _ in stored]) == np.asarray([y for _, _, y in stored])))
        point = {"labels": labeled, "version": version["version"], "predictor": describe_predictor(version),
                 "shown": version["metrics"]["accuracy"], "exported": exported, "stats": measured["accuracy"],
                 "classifier": classifier, "classifier_version": tuned["version"] if tuned else None,
                 "stats_model": model_stats(project)["accuracy"]}
        points.append(point)
        print(f"[{folder.name}] {point}", file=sys.stderr, flush=True)
        if args.json:
            Path(args.json).write_text(json.dumps({"dataset": folder.name, "n_pool": len(train),
                                                   "n_eval": len(eval_set(project.db)), "eval_rows": len(test),
                                                   "settings": settings.as_dict(), "points": points},
                                                  indent=2, default=str))
    n_eval = len(eval_set(project.db))
    project.close()
    print(f"\n{folder.name} (pool {len(train)}, evaluation set: {n_eval} distinct texts of {len(test)} rows)")
    print("| labels | model (version) | Dashboard | exported zip via pipeline | stats model.exported | "
          "fine-tuned classifier's own head (v0.1 export) |")
    print("|---|---|---|---|---|---|")
    for p in points:
        own = "no fine-tune yet" if p["classifier"] is None else f"{100 * p['classifier']:.1f}"
        print(f"| {p['labels']} | {p['predictor']} (v{p['version']}) | {100 * p['shown']:.1f} | "
              f"{100 * p['exported']:.1f} | {100 * p['stats']:.1f} | {own} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
