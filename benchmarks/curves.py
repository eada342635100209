"""Learning curves: strategies and tiers compared through the simulated annotator.

Every run is one call of :func:`annotator.services.simulate.simulate` — the code behind
``labelloop simulate``, which labels through the queue and refreshes through
the worker — on a *copy* of one prepared project per dataset. The prepared
project already holds the pool and its cached embeddings
(``embeddings/enc_v0/``), so the base encoder embeds each pool once, not
once per strategy and seed.

Tiers: ``fast`` = the embedding head only (never fine-tune); ``warm`` =
fine-tune every F labels from the previous version; ``scratch`` = fine-tune
every F labels from the base model.

Summary per dataset and configuration (``strategy/tier``, with ``/prior-MODE``
when runs set the ``label_prior`` setting, and ``/key=value`` for each setting a whole run
fixes with ``--setting``, so runs of two recipes never pool): AUC (mean accuracy over the
curve's points, as ``simulate`` defines it; mean and spread over seeds), final
accuracy and macro-F1, and the labels needed to reach the accuracy random
sampling reaches with the full budget in the same tier (random with the prior
off when several priors ran: the plain baseline).

Multi-label datasets (rows ``{"text", "labels": [...]}``) prepare a multi-label project; their
points carry ``micro_f1``, ``macro_f1`` and ``subset_accuracy`` (``accuracy`` is the subset accuracy).

Splits: ``test`` = the pool is train.jsonl, scored on test.jsonl (for
reporting); ``dev`` = the pool is a seeded 80% of train.jsonl's distinct texts,
scored on the other 20%, and test.jsonl is never read (for choosing defaults).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from annotator.config import STRATEGY_NAMES, coerce_setting
from annotator.errors import InputError
from benchmarks.common import base_test_vectors, machine_info, now, read_jsonl, write_json

TIERS = ("fast", "warm", "scratch")
SPLITS = ("test", "dev")
LABEL_PRIORS = ("auto", "on", "off")
DEV_FRACTION, DEV_SEED = 0.2, 1234
QUICK = {"budget": 40, "batch": 10, "finetune_every": 20, "pool_limit": 300, "test_limit": 100,
         "finetune_min_per_class": 2}

# Published reference points, from ../shared/datasets/README.md (accuracy on the test set).
REFERENCES: dict[str, list[dict[str, Any]]] = {
    "trec": [
        {"labels": 525, "value": 0.968, "metric": "accuracy", "short": "BERT-large AL 96.8",
         "source": "Schröder et al. 2022, BERT-large, best uncertainty strategy, 525 labels"},
        {"labels": 128, "value": 0.856, "metric": "accuracy", "short": "RoBERTa-base random 85.6",
         "source": "Yu et al. 2023 (PATRON), RoBERTa-base, 128 random labels"},
    ],
    "subj": [
        {"labels": 525, "value": 0.958, "metric": "accuracy", "short": "BERT-large AL 95.8",
         "source": "Schröder et al. 2022, BERT-large, best uncertainty strategy, 525 labels"},
    ],
}


def dataset_dirs(paths: list[str | os.PathLike]) -> list[Path]:
    """Dataset folders (with train.jsonl and test.jsonl); a folder of such folders expands."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if (path / "train.jsonl").is_file() and (path / "test.jsonl").is_file():
            found.append(path)
        elif path.is_dir():
            inner = sorted(p for p in path.iterdir() if (p / "train.jsonl").is_file() and (p / "test.jsonl").is_file())
            if not inner:
                raise InputError(f"{path}: no train.jsonl/test.jsonl in it or in its subfolders")
            found.extend(inner)
        else:
            raise InputError(f"{path}: no such dataset folder")
    return found


def _write_rows(rows: list[dict[str, Any]], target: Path) -> tuple[Path, list[str], int]:
    """The rows as a gold file: ``{"text", "label"}``, or ``{"text", "labels": [...]}`` for multi-label rows."""
    with target.open("w", encoding="utf-8") as out:
        for row in rows:
            answer = {"labels": [str(n) for n in row["labels"]]} if "labels" in row else {"label": str(row["label"])}
            out.write(json.dumps({"text": row["text"], **answer}) + "\n")
    names = {str(n) for r in rows for n in (r["labels"] if "labels" in r else [r["label"]])}
    return target, sorted(names), len(rows)


def split_rows(data: Path, split: str, pool_limit: int | None,
               test_limit: int | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(pool rows, scored rows) of a dataset folder for ``split`` (see the module notes)."""
    if split == "test":
        return read_jsonl(data / "train.jsonl", pool_limit), read_jsonl(data / "test.jsonl", test_limit)
    if split != "dev":
        raise InputError(f"unknown split {split!r}: choose from {', '.join(SPLITS)}")
    distinct = list({row["text"]: row for row in reversed(read_jsonl(data / "train.jsonl"))}.values())[::-1]
    random.Random(DEV_SEED).shuffle(distinct)
    n_dev = round(DEV_FRACTION * len(distinct))
    held, rest = distinct[:n_dev], distinct[n_dev:]
    return rest[:pool_limit] if pool_limit else rest, held[:test_limit] if test_limit else held


def _cache_key(data: Path, model: str | None, pool_limit: int | None, test_limit: int | None,
               split: str = "test") -> str:
    name = "default" if model in (None, "", "default") else Path(model).name
    return (f"{data.name}-{name}-pool{pool_limit or 'all'}-test{test_limit or 'all'}"
            + ("" if split == "test" else f"-{split}"))


def prepare_dataset(data: Path, work: Path, *, model: str | None, pool_limit: int | None,
                    test_limit: int | None, cache_dir: Path | None = None, split: str = "test") -> dict[str, Any]:
    """Gold/test files and a base project whose pool embeddings are cached; returns its facts.

    With ``cache_dir`` the prepared project is kept there and reused by later runs with the
    same dataset, model and limits (embedding a pool is the slow part on a CPU).
    """
    from annotator.services.imports import import_file
    from annotator.services.projects import create_project
    from annotator.services.settings import set_settings
    from annotator.services.training.embeddings import ensure_embeddings
    from annotator.services.training.models import load_models
    from annotator.store.trainset import pool

    folder = (cache_dir / _cache_key(data, model, pool_limit, test_limit, split)) if cache_dir else work / data.name
    gold, test = folder / "gold.jsonl", folder / "test.jsonl"
    ready = folder / "ready.json"
    if ready.is_file():
        facts = json.loads(ready.read_text())
        return {**facts, "gold": gold, "test": test, "base": folder / "base", "embed_s": 0.0, "cached": True}
    if folder.exists():
        shutil.rmtree(folder)  # an unfinished preparation
    folder.mkdir(parents=True)
    pool_rows, scored_rows = split_rows(data, split, pool_limit, test_limit)
    gold, gold_labels, n_pool = _write_rows(pool_rows, gold)
    test, test_labels, n_test = _write_rows(scored_rows, test)
    labels = sorted(set(gold_labels) | set(test_labels))
    started = now()
    multi_label = bool(pool_rows) and "labels" in pool_rows[0] and "label" not in pool_rows[0]
    with create_project(folder / "base", labels, multi_label=multi_label) as project:
        import_file(project, gold)
        if model:
            set_settings(project.db, model=model)
        models = load_models(project)
        ids, texts, _ = pool(project.db)
        known = _known_vectors(cache_dir, data, model) if split != "test" else {}
        if known:  # the dev split's texts are all in the test split's prepared pool: reuse its vectors
            def embed(batch: list[str]) -> np.ndarray:
                return _vectors_for(batch, known, models.encoder.embed)

            ensure_embeddings(folder / "base", 0, ids, texts, embed)
            np.save(folder / "test_vectors.npy", embed([r["text"] for r in scored_rows]))
        models.pool_embeddings(ids, texts)
    facts = {"n_pool": n_pool, "n_test": n_test, "classes": labels}
    ready.write_text(json.dumps(facts))
    return {**facts, "gold": gold, "test": test, "base": folder / "base", "embed_s": round(now() - started, 3),
            "cached": False}


def _known_vectors(cache_dir: Path | None, data: Path, model: str | None) -> dict[str, np.ndarray]:
    """Text -> base-encoder vector of the test split's prepared pool of ``data`` in ``cache_dir``."""
    from annotator.services.projects import open_project
    from annotator.services.training.embeddings import load_embeddings
    from annotator.store.trainset import pool

    base = cache_dir / _cache_key(data, model, None, None) / "base" if cache_dir else None
    if base is None or not (base.parent / "ready.json").is_file():
        return {}
    cached = load_embeddings(base, 0)
    if cached is None:
        return {}
    with open_project(base) as donor:
        ids, texts, _ = pool(donor.db)
    if not np.array_equal(np.asarray(ids, dtype=np.int64), cached[0]):
        return {}
    return dict(zip(texts, np.asarray(cached[1])))


def _vectors_for(texts: list[str], known: dict[str, np.ndarray], encode) -> np.ndarray:
    """Vectors of ``texts``: the known ones looked up, the others encoded (and remembered)."""
    missing = [t for t in dict.fromkeys(texts) if t not in known]
    if missing:
        known.update(zip(missing, encode(missing)))
    return np.stack([known[t] for t in texts]).astype(np.float32)


def run_one(prepared: dict[str, Any], run_dir: Path, *, strategy: str, seed: int, tier: str, budget: int,
            batch: int, finetune_every: int | None, on_point=None,
            finetune_min_per_class: int | None = None, label_prior: str | None = None,
            fixed: dict[str, Any] | None = None) -> dict[str, Any]:
    """One simulation on a fresh copy of the prepared project; ``on_point(point)`` after each batch.
    ``label_prior``: the setting for this run (None: the project default, not named in the config);
    ``fixed``: other settings for this run (named in the config)."""
    from annotator.services.projects import open_project
    from annotator.services.settings import set_settings
    from annotator.services.simulate import simulate

    shutil.copytree(prepared["base"], run_dir)
    changes: dict[str, Any] = dict(fixed or {})
    if tier != "fast":
        changes["warm_start"] = tier == "warm"
        if finetune_min_per_class is not None:
            changes["finetune_min_per_class"] = finetune_min_per_class
    if label_prior is not None:
        changes["label_prior"] = label_prior
    if changes:
        with open_project(run_dir) as project:
            set_settings(project.db, **changes)
    result = simulate(run_dir, prepared["gold"], prepared["test"], budget=budget, batch=batch,
                      strategy=strategy, seed=seed, finetune_every=0 if tier == "fast" else finetune_every,
                      on_point=on_point, test_vectors=prepared.get("test_vectors"))
    shutil.rmtree(run_dir, ignore_errors=True)
    config = config_name(strategy, tier, label_prior, fixed)
    return {**result, "tier": tier, "config": config, "label_prior": label_prior, "settings": dict(fixed or {})}


def config_name(strategy: str, tier: str, label_prior: str | None, fixed: dict[str, Any] | None) -> str:
    """``strategy/tier``, then ``/prior-MODE`` and ``/key=value`` for what the run fixed."""
    return (f"{strategy}/{tier}" + (f"/prior-{label_prior}" if label_prior is not None else "")
            + "".join(f"/{key}={value}" for key, value in sorted((fixed or {}).items())))


def parse_settings(pairs: list[str] | None) -> dict[str, Any]:
    """``["key=value", ...]`` as validated settings (InputError on one line for a bad pair)."""
    fixed: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--setting takes KEY=VALUE, got {pair!r}")
        fixed[key.strip()] = coerce_setting(key.strip(), value.strip())
    return fixed


def labels_to_reach(curve: list[dict[str, Any]], target: float) -> int | None:
    """The first label count whose accuracy is at least ``target``; None if never."""
    for point in curve:
        if point["accuracy"] >= target - 1e-12:
            return point["labels"]
    return None


def _mean_curve(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    counts = sorted(set.intersection(*[{p["labels"] for p in run["curve"]} for run in runs]))
    return [{"labels": n, "accuracy": statistics.fmean(
        next(p["accuracy"] for p in run["curve"] if p["labels"] == n) for run in runs)} for n in counts]


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """AUC table rows and labels-to-reach-random per configuration of one dataset."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for run in runs:
        groups.setdefault(run["config"], []).append(run)
    random_final: dict[str, float] = {}
    # the baseline per tier: random sampling, with the prior off when several priors ran
    baselines = sorted((members for members in groups.values() if members[0]["strategy"] == "random"),
                       key=lambda members: members[0].get("label_prior") in (None, "off"))
    for members in baselines:
        random_final[members[0]["tier"]] = _mean_curve(members)[-1]["accuracy"]
    rows = []
    for config, members in sorted(groups.items()):
        mean = _mean_curve(members)
        aucs = [m["auc"] for m in members]
        tier = members[0]["tier"]
        target = random_final.get(tier, random_final.get("fast"))
        finals = [m["curve"][-1] for m in members if m["curve"]]
        at = {n: next((p["accuracy"] for p in mean if p["labels"] == n), None) for n in (100, 200, 500)}
        rows.append({
            "config": config, "strategy": members[0]["strategy"], "tier": tier, "seeds": len(members),
            "auc": round(statistics.fmean(aucs), 4),
            "auc_sd": round(statistics.stdev(aucs), 4) if len(aucs) > 1 else None,
            "final_labels": mean[-1]["labels"] if mean else None,
            "final_accuracy": round(statistics.fmean(p["accuracy"] for p in finals), 4) if finals else None,
            "final_macro_f1": round(statistics.fmean(p["macro_f1"] for p in finals), 4) if finals else None,
            "accuracy_at": {str(n): (round(v, 4) if v is not None else None) for n, v in at.items()},
            "random_final_accuracy": round(target, 4) if target is not None else None,
            "labels_to_random_final": labels_to_reach(mean, target) if target is not None else None,
            "median_refresh_s": round(statistics.median(
                p["refresh_s"] for m in members for p in m["curve"]), 3) if finals else None,
            "finetune_s_total": round(sum(p["finetune_s"] or 0 for m in members for p in m["curve"])
                                      / len(members), 1),
            "total_s": round(statistics.fmean(m["total_s"] for m in members), 1),
        })
    return {"table": rows, "random_final_accuracy": {k: round(v, 4) for k, v in random_final.items()}}


def _tiers(tiers: list[str] | None, fast_only: bool, warm_start: bool | None) -> list[str]:
    if tiers:
        unknown = [t for t in tiers if t not in TIERS]
        if unknown:
            raise InputError(f"unknown tier {unknown[0]!r}: choose from {', '.join(TIERS)}")
        return tiers
    if fast_only:
        return ["fast"]
    return ["scratch"] if warm_start is False else ["warm"]


def run_curves(
    data: list[str | os.PathLike],
    *,
    strategies: tuple[str, ...] | list[str] = STRATEGY_NAMES,
    seeds: list[int] = (0,),
    budget: int = 500,
    batch: int = 25,
    finetune_every: int | None = None,
    tiers: list[str] | None = None,
    fast_only: bool = False,
    warm_start: bool | None = None,
    model: str | None = None,
    quick: bool = False,
    workdir: str | os.PathLike | None = None,
    test_limit: int | None = None,
    pool_limit: int | None = None,
    progress_path: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
    label_priors: list[str] | None = None,
    split: str = "test",
    settings: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Run every dataset x tier x strategy x label prior x seed; return curves and summaries
    (JSON-ready). ``label_priors``: values of the ``label_prior`` setting to run each strategy with
    (None: the project default only); ``settings``: other settings every run fixes (validated
    with :func:`parse_settings`)."""
    strategies = [s.strip() for s in strategies if s.strip()]
    unknown = [s for s in strategies if s not in STRATEGY_NAMES]
    if unknown:
        raise InputError(f"unknown strategy {unknown[0]!r}: choose from {', '.join(STRATEGY_NAMES)}")
    priors: list[str | None] = [None]
    if label_priors:
        priors = [p.strip() for p in label_priors if p.strip()]
        wrong = [p for p in priors if p not in LABEL_PRIORS]
        if wrong:
            raise InputError(f"unknown label prior {wrong[0]!r}: choose from {', '.join(LABEL_PRIORS)}")
    if split not in SPLITS:
        raise InputError(f"unknown split {split!r}: choose from {', '.join(SPLITS)}")
    tier_list = _tiers(tiers, fast_only, warm_start)
    folders = dataset_dirs(data)
    base = Path(tempfile.mkdtemp(prefix="labelloop-curves-", dir=workdir))
    if quick:
        budget, batch = min(budget, QUICK["budget"]), min(batch, QUICK["batch"])
        finetune_every = finetune_every or QUICK["finetune_every"]
        pool_limit = pool_limit or QUICK["pool_limit"]
        test_limit = test_limit or QUICK["test_limit"]
        if model is None:
            from benchmarks.tiny_bert import build_tiny_bert

            model = str(build_tiny_bert(base / "tiny-model"))
    result: dict[str, Any] = {
        "part": "curves", "quick": quick,
        "config": {"strategies": strategies, "seeds": list(seeds), "budget": budget, "batch": batch,
                   "finetune_every": finetune_every, "tiers": tier_list, "model": model or "default",
                   "pool_limit": pool_limit, "test_limit": test_limit, "label_priors": label_priors,
                   "split": split, "settings": dict(settings or {})},
        "datasets": {},
    }
    try:
        for folder in folders:
            prepared = prepare_dataset(folder, base, model=model, pool_limit=pool_limit, test_limit=test_limit,
                                       cache_dir=Path(cache_dir) if cache_dir else None, split=split)
            prepared["test_vectors"] = base_test_vectors(prepared)[0] if model is None else None
            how = (f"pool embeddings reused from {cache_dir}" if prepared["cached"]
                   else f"pool embedded in {prepared['embed_s']:.0f} s")
            print(f"[curves] {folder.name}: pool {prepared['n_pool']}, test {prepared['n_test']}, {how}",
                  file=sys.stderr, flush=True)
            entry = {k: prepared[k] for k in ("n_pool", "n_test", "classes", "embed_s", "cached")}
            entry["runs"] = []
            entry["reference"] = REFERENCES.get(folder.name, [])
            result["datasets"][folder.name] = entry
            for tier in tier_list:
                for strategy, prior in [(s, p) for s in strategies for p in priors]:
                    for seed in seeds:
                        partial = {"config": config_name(strategy, tier, prior, settings),
                                   "seed": seed, "curve": []}

                        def on_point(point, partial=partial):
                            # checkpoint every batch: a stopped run still leaves its curve so far
                            partial["curve"].append(point)
                            if progress_path:
                                write_json({**result, "in_progress": partial}, progress_path)

                        run = run_one(prepared, base / folder.name / f"run-{tier}-{strategy}-{prior}-{seed}",
                                      strategy=strategy, seed=seed, tier=tier, budget=budget, batch=batch,
                                      finetune_every=finetune_every, on_point=on_point, label_prior=prior,
                                      fixed=settings,
                                      finetune_min_per_class=QUICK["finetune_min_per_class"] if quick else None)
                        entry["runs"].append(run)
                        last = run["curve"][-1] if run["curve"] else {}
                        print(f"[curves] {folder.name} {run['config']} seed {seed}: auc {run['auc']:.4f}, "
                              f"final acc {last.get('accuracy', float('nan')):.4f} at {last.get('labels')} labels, "
                              f"{run['total_s']:.0f} s", file=sys.stderr, flush=True)
                        if progress_path:
                            write_json(result, progress_path)
            entry["summary"] = summarize(entry["runs"])
        result["machine"] = machine_info()
        return result
    finally:
        shutil.rmtree(base, ignore_errors=True)


def summary_table(result: dict[str, Any]) -> str:
    """The AUC table as plain text, one block per dataset."""
    lines = []
    for name, data in result["datasets"].items():
        lines.append(f"{name} (pool {data['n_pool']}, test {data['n_test']}):")
        lines.append(f"  {'config':<30}{'seeds':>6}{'AUC':>8}{'final acc':>11}{'macro-F1':>10}{'to random':>11}")
        for row in data["summary"]["table"]:
            reach = row["labels_to_random_final"]
            lines.append(f"  {row['config']:<30}{row['seeds']:>6}{row['auc']:>8.3f}{row['final_accuracy']:>11.3f}"
                         f"{row['final_macro_f1']:>10.3f}{(str(reach) if reach else '-'):>11}")
    return "\n".join(lines)


def merge_curves(results: list[dict[str, Any]]) -> dict[str, Any]:
    """One result from several ``run_curves`` results (runs of the same dataset are pooled and
    summarized again); each input's config is kept under ``merged_from``."""
    merged: dict[str, Any] = {"part": "curves", "quick": any(r.get("quick") for r in results),
                              "merged_from": [r["config"] for r in results], "datasets": {}}
    for result in results:
        for name, data in result["datasets"].items():
            entry = merged["datasets"].setdefault(
                name, {k: v for k, v in data.items() if k not in ("runs", "summary")} | {"runs": []})
            entry["runs"].extend(data["runs"])
    for entry in merged["datasets"].values():
        entry["summary"] = summarize(entry["runs"])
    return merged


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}"


def markdown_tables(result: dict[str, Any]) -> str:
    """The summary as markdown, one table per dataset (accuracy in %; for docs/benchmarks.md)."""
    blocks = []
    for name, data in result["datasets"].items():
        summary = data.get("summary") or summarize(data["runs"])
        rows = summary["table"]
        budget = max((row["final_labels"] or 0) for row in rows) if rows else 0
        marks = [n for n in (100, 200) if n < budget] + [budget]
        lines = [f"**{name}** (pool {data['n_pool']:,}, test {data['n_test']:,}, "
                 f"{len(data['classes'])} classes)", "",
                 "| strategy / tier | seeds | AUC | " + " | ".join(f"acc @{n}" for n in marks)
                 + f" | macro-F1 @{budget} | labels to reach random @{budget} | median refresh s |",
                 "|---" * (6 + len(marks)) + "|"]
        for row in sorted(rows, key=lambda r: (r["tier"], -r["auc"])):
            curve = _mean_curve([run for run in data["runs"] if run["config"] == row["config"]])
            at = {p["labels"]: p["accuracy"] for p in curve}
            auc = f"{100 * row['auc']:.1f}" + (f" ± {100 * row['auc_sd']:.1f}" if row["auc_sd"] else "")
            reach = row["labels_to_random_final"]
            if row["random_final_accuracy"] is None:
                reach = "– (no random run)"
            elif reach is None:
                reach = "not reached"
            lines.append(
                f"| {row['config']} | {row['seeds']} | {auc} | " + " | ".join(_pct(at.get(n)) for n in marks)
                + f" | {_pct(row['final_macro_f1'])} | {reach} | "
                + (f"{row['median_refresh_s']:.2f}" if row["median_refresh_s"] is not None else "–") + " |")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
