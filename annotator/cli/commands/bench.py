"""labelloop bench curves|speed|load: measure label efficiency, speed and load; write JSON and a PNG."""

from __future__ import annotations

import argparse
import importlib
import json
from typing import Any

from annotator.cli.bench_multi_label import add_part as add_multi_label_part
from annotator.config import STRATEGY_NAMES
from annotator.errors import InputError


def _outputs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", metavar="OUT", default=None, help="write the results as JSON to OUT")
    parser.add_argument("--plot", metavar="OUT.png", default=None, help="draw the results to a PNG")
    parser.add_argument("--quick", action="store_true",
                        help="tiny local model and small data: a smoke test in well under two minutes")
    parser.add_argument("--workdir", metavar="DIR", default=None,
                        help="where temporary projects go (default: the system temporary folder)")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="benchmarks: learning curves, speed, load, search, seeding by search",
        description="Measure Labelloop: label efficiency (curves), speed against plain transformers "
                    "(speed) and latency under many annotators (load). Each part prints a summary and "
                    "can write JSON (--json) and a plot (--plot).",
    )
    parts = parser.add_subparsers(dest="part", metavar="PART", required=True)

    curves = parts.add_parser(
        "curves",
        help="learning curves of query strategies through the simulated annotator",
        description="Run `labelloop simulate` (the library) for every dataset x strategy x seed "
                    "(and tier): accuracy and macro-F1 versus labels, an AUC table, and the labels "
                    "each strategy needs to reach random's accuracy at the full budget. DIR is a "
                    "folder with train.jsonl (gold and pool) and test.jsonl, or a folder of such "
                    "folders.",
    )
    curves.add_argument("--data", metavar="DIR", action="append", required=True,
                        help="dataset folder (train.jsonl, test.jsonl); repeat for several")
    curves.add_argument("--strategies", default=",".join(STRATEGY_NAMES),
                        help=f"comma-separated strategies (default: all {len(STRATEGY_NAMES)})")
    curves.add_argument("--seeds", default="0", help="comma-separated seeds (default: 0)")
    curves.add_argument("--budget", type=int, default=500, help="labels per run (default 500)")
    curves.add_argument("--batch", type=int, default=25, help="labels between refreshes (default 25)")
    curves.add_argument("--finetune-every", type=int, default=None,
                        help="labels between fine-tunes (default: the project default)")
    curves.add_argument("--fast-only", action="store_true", help="fast tier only: never fine-tune")
    curves.add_argument("--tiers", default=None,
                        help="comma list of fast, warm, scratch: run each strategy in each tier "
                             "(overrides --fast-only / --warm-start)")
    warm = curves.add_mutually_exclusive_group()
    warm.add_argument("--warm-start", dest="warm_start", action="store_true", default=None,
                      help="fine-tune from the previous version")
    warm.add_argument("--no-warm-start", dest="warm_start", action="store_false",
                      help="fine-tune from the base model each time")
    curves.add_argument("--model", default=None, help="base model (default: the project default)")
    curves.add_argument("--cache", metavar="DIR", default=None,
                        help="keep each dataset's prepared project (pool + embeddings) in DIR and reuse it")
    curves.add_argument("--test-limit", type=int, default=None, help="use only the first N test rows")
    curves.add_argument("--pool-limit", type=int, default=None, help="use only the first N train rows")
    curves.add_argument("--label-prior", default=None, metavar="MODES",
                        help="comma list of auto, on, off: run each strategy with each value of the "
                             "label_prior setting (default: the project default only)")
    curves.add_argument("--setting", action="append", default=None, metavar="KEY=VALUE",
                        help="a project setting every run fixes, named in the run's configuration "
                             "(repeat for several; e.g. --setting finetune_objective=classifier)")
    curves.add_argument("--split", default="test", choices=("test", "dev"),
                        help="test: score on test.jsonl (default); dev: pool = a seeded 80%% of train.jsonl, "
                             "scored on the other 20%%, test.jsonl unread (for choosing defaults)")
    _outputs(curves)
    curves.set_defaults(func=run_curves)

    speed = parts.add_parser(
        "speed",
        help="scoring vs a plain transformers pipeline, fine-tune, refresh, import/export",
        description="In one run: pool scoring (TransformerClassifier.predict_proba) versus "
                    "transformers.pipeline on the same saved model and texts; fine-tune time per "
                    "500 labels; queue refresh after a batch at 10k, 100k and 1M pools; import and "
                    "export of 1M rows beside sqlite-utils and pandas on the same file; the "
                    "encoder's FLOP/s as a fraction of a float32 matmul's (flops); int8 dynamic "
                    "quantization against fp32, speed and accuracy (int8). "
                    "Example: labelloop bench speed --parts refresh --pools 10000,100000,1000000 "
                    "--json refresh.json; labelloop bench speed --parts flops,int8 --texts "
                    "../shared/datasets/trec/train.jsonl --data ../shared/datasets/trec --json cpu.json",
    )
    speed.add_argument("--model", default=None, help="base model (default: all-MiniLM-L6-v2)")
    speed.add_argument("--texts", metavar="FILE", default=None,
                       help="JSONL {text,label} to score and fine-tune on (default: synthetic texts)")
    speed.add_argument("--batch-size", type=int, default=32, help="inference batch size, both sides (default 32)")
    speed.add_argument("--score-texts", type=int, default=None, help="texts scored per round (default 2000)")
    speed.add_argument("--repeats", type=int, default=None, help="alternating scoring rounds (default 3)")
    speed.add_argument("--parts", default="scoring,refresh,io",
                       help="comma list of scoring, refresh, io, flops, int8 (default: scoring,refresh,io)")
    speed.add_argument("--pools", default=None, metavar="N,N,...",
                       help="refresh: comma list of pool sizes (default 10000,100000,1000000)")
    speed.add_argument("--rows", type=int, default=None, help="io: rows imported and exported (default 1000000)")
    speed.add_argument("--data", metavar="DIR", action="append", default=None,
                       help="int8: dataset folder (train.jsonl, test.jsonl) for the accuracy check; repeat")
    speed.add_argument("--train-texts", type=int, default=500,
                       help="int8: random training texts the head is fitted on (default 500)")
    speed.add_argument("--seeds", default="0", help="int8: comma list of seeds drawing them (default 0)")
    speed.add_argument("--threads", type=int, default=None,
                       help="flops, int8: torch (and ONNX Runtime) threads for the whole measure "
                            "(default: torch's default)")
    speed.add_argument("--int8-backends", default="torch",
                       help="int8: comma list of torch (dynamic quantization), ort (ONNX Runtime fp32 and "
                            "int8; needs onnxruntime and onnx) (default torch)")
    _outputs(speed)
    speed.set_defaults(func=run_speed)

    load = parts.add_parser(
        "load",
        help="many annotators in separate processes: latency, throughput, no lost labels",
        description="Start N annotator processes labeling through annotator.services.queue (next_item -> "
                    "save_label) on a large synthetic pool; report throughput, p50/p95/p99 "
                    "latencies, lost labels and double leases; on a SQLite file, or with --database on "
                    "a PostgreSQL database.",
        epilog="Example:\n  labelloop bench load --annotators 20 --labels-each 40 --pool 20000 --think-ms 1000 "
               "--database postgresql://labelloop@db.internal/labelloop --json load_pg.json\n"
               "  labelloop bench load --annotators 50 --labels-each 20 --app-processes 2 --republish-every 5 "
               "--think-ms 1000 --pool 20000",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    load.add_argument("--annotators", type=int, default=20, help="annotator processes (default 20)")
    load.add_argument("--labels-each", type=int, default=500, help="labels per annotator (default 500)")
    load.add_argument("--pool", type=int, default=100_000, help="synthetic pool size (default 100000)")
    load.add_argument("--think-ms", type=float, default=0.0, help="pause between next and save (default 0)")
    load.add_argument("--database", metavar="URL", default=None,
                      help="put the project on this PostgreSQL database (postgresql://...; a new schema, "
                           "dropped after the run) instead of a SQLite file")
    load.add_argument("--app-processes", type=int, default=0, metavar="K",
                      help="run the annotators as threads of K processes, as K app servers hold their "
                           "sessions (default 0: each annotator a process of its own)")
    load.add_argument("--republish-every", type=float, default=0.0, metavar="S",
                      help="also publish a new ranking of the whole pool every S seconds, as the "
                           "worker does after each batch (default 0: never)")
    _outputs(load)
    load.set_defaults(func=run_load)

    search = parts.add_parser(
        "search",
        help="search and embedding-map speed on large synthetic pools",
        description="Time semantic search (exact matrix product; faiss and hnswlib when installed, for "
                    "comparison), word and regex search through annotator.services.search, and the embedding map "
                    "(projection in the worker, the page's data; UMAP beside PCA when umap-learn is installed) "
                    "on synthetic pools of the given sizes.",
        epilog="Example:\n  labelloop bench search --pools 10000,100000,1000000 --json search.json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    search.add_argument("--pools", default="10000,100000", help="comma-separated pool sizes (default 10000,100000)")
    search.add_argument("--dim", type=int, default=384, help="embedding dimensions (default 384, MiniLM's)")
    search.add_argument("--repeats", type=int, default=20, help="timed searches per measure (default 20)")
    search.add_argument("--umap-limit", type=int, default=10_000,
                        help="time UMAP only on pools up to this size (default 10000: minutes per 10k texts on 2 "
                             "cores)")
    search.add_argument("--ann-limit", type=int, default=None,
                        help="build the approximate indexes (faiss, hnswlib) only on pools up to this size "
                             "(default: every pool)")
    _outputs(search)
    search.set_defaults(func=run_search)

    seed = parts.add_parser(
        "seed",
        help="cold start: one semantic search per label name first, against the queue alone",
        description="A simulated lead first runs one semantic search per label name and labels the top K "
                    "results of each (gold labels), then follows the queue; against the queue alone with "
                    "the same budget. Accuracy of the fast tier at the checkpoints, per seed and mean.",
        epilog="Example:\n  labelloop bench seed --data ../shared/datasets/banking77 --per-label 10,3 "
               "--seeds 0,1,2 --json seed.json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    seed.add_argument("--data", metavar="DIR", action="append", required=True,
                      help="dataset folder (train.jsonl, test.jsonl); repeat for several")
    seed.add_argument("--per-label", default="10",
                      help="comma list of K: texts labeled per label's search, rank after rank across the "
                           "searches; K:label labels search after search")
    seed.add_argument("--seeds", default="0", help="comma-separated seeds (default: 0)")
    seed.add_argument("--budget", type=int, default=500, help="labels per run (default 500)")
    seed.add_argument("--batch", type=int, default=25, help="queue labels between refreshes (default 25)")
    seed.add_argument("--checkpoints", default="100,200,500", help="label counts to score at (default 100,200,500)")
    seed.add_argument("--strategy", default="margin", choices=STRATEGY_NAMES, help="the queue's strategy")
    seed.add_argument("--model", default=None, help="base model (default: the project default)")
    seed.add_argument("--cache", metavar="DIR", default=None,
                      help="keep each dataset's prepared project (pool + embeddings) in DIR and reuse it")
    seed.add_argument("--label-prior", choices=("auto", "on", "off"), default=None,
                      help="the label_prior setting in every run (default: the project default, auto)")
    _outputs(seed)
    seed.set_defaults(func=run_seed)
    add_multi_label_part(parts, _outputs)


def _part(name: str):
    """A module of the ``benchmarks`` package (shipped beside ``annotator``, with the ``bench`` extra's
    matplotlib for plots); a one-line error when it is not installed."""
    try:
        return importlib.import_module(f"benchmarks.{name}")
    except ImportError as error:
        raise InputError(
            f"labelloop bench needs the benchmarks package and its extra ({error}); "
            "install a checkout with pip install -e '.[bench]'"
        ) from None


def _integers(text: str | None, option: str) -> list[int] | None:
    if not text:
        return None
    try:
        return [int(part.replace("_", "")) for part in text.split(",")]
    except ValueError:
        raise InputError(f"{option}: expected a comma list of whole numbers, got {text!r}") from None


def _finish(result: dict[str, Any], args: argparse.Namespace, plot, summary: str) -> int:
    if args.plot:
        plot(result, args.plot)
    if args.json:
        write_json = _part("common").write_json

        write_json(result, args.json)
    print(summary)
    return 0


def run_curves(args: argparse.Namespace) -> int:
    run = _part("curves").run_curves
    summary_table = _part("curves").summary_table
    plot_curves = _part("plots").plot_curves

    result = run(
        args.data, strategies=args.strategies.split(","), seeds=[int(s) for s in args.seeds.split(",")],
        budget=args.budget, batch=args.batch, finetune_every=args.finetune_every,
        tiers=args.tiers.split(",") if args.tiers else None, fast_only=args.fast_only,
        warm_start=args.warm_start, model=args.model, quick=args.quick, workdir=args.workdir,
        test_limit=args.test_limit, pool_limit=args.pool_limit, progress_path=args.json, cache_dir=args.cache,
        label_priors=args.label_prior.split(",") if args.label_prior else None, split=args.split,
        settings=_part("curves").parse_settings(args.setting),
    )
    return _finish(result, args, plot_curves, summary_table(result))


def run_speed(args: argparse.Namespace) -> int:
    plot_speed = _part("plots").plot_speed
    run = _part("speed").run_speed

    result = run(quick=args.quick, model=args.model, texts_file=args.texts, batch_size=args.batch_size,
                 parts=tuple(p.strip() for p in args.parts.split(",")), workdir=args.workdir,
                 score_texts=args.score_texts, repeats=args.repeats, progress_path=args.json,
                 pools=_integers(args.pools, "--pools"), rows=args.rows, datasets=args.data,
                 train_texts=args.train_texts, seeds=_integers(args.seeds, "--seeds"),
                 int8_backends=tuple(b.strip() for b in args.int8_backends.split(",")), threads=args.threads)
    keys = ("scoring_texts_per_s", "pipeline_texts_per_s", "scoring_speedup", "finetune_s_per_500")
    lines = [f"{key}: {result[key]}" for key in keys if key in result]
    for row in result.get("refresh", []):
        lines.append(f"refresh at {row['pool']:,}: {row['median_s']} s (median)")
    if "io" in result:
        io = result["io"]
        lines.append(f"import {io['rows']:,} rows: {io['import_s']} s (baseline {io['baseline_import_s']} s); "
                     f"export: {io['export_s']} s (baseline {io['baseline_export_s']} s)")
    if "flops" in result:
        f = result["flops"]
        lines.append(f"matmul {f['matmul_n']}: peak {f['peak_gflops']} GFLOP/s (median {f['matmul_median_gflops']}); "
                     f"encoder {f['encoder_median_gflops']} GFLOP/s, {f['texts_per_s']} texts/s; "
                     f"fraction {f['fraction']}; feed-forward sgemm alone {f['ffn_gemm_median_gflops']} GFLOP/s")
    if "int8" in result:
        q = result["int8"]
        for kind in q["variants"]:
            accuracy = ", ".join(f"{row['dataset']} {row['accuracy'][kind]}% ({row['change_points'][kind]:+})"
                                 for row in q["accuracy"])
            verdict = q["verdicts"].get(kind, {}).get("verdict", "reference" if kind == q["reference"] else "-")
            lines.append(f"{kind}: {q['speed']['texts_per_s'][kind]} texts/s (x{q['speed']['speedup'][kind]}); "
                         f"{accuracy}; {verdict}")
    return _finish(result, args, plot_speed, "\n".join(lines))


def run_load(args: argparse.Namespace) -> int:
    run = _part("load").run_load
    plot_load = _part("plots").plot_load

    result = run(args.annotators, args.labels_each, args.pool, quick=args.quick, think_ms=args.think_ms,
                 republish_s=args.republish_every, workdir=args.workdir, database_url=args.database,
                 app_processes=args.app_processes)
    keys = ("backend", "labels_saved", "labels_per_s", "p50_next_ms", "p95_next_ms", "p99_next_ms",
            "p50_save_ms", "p95_save_ms", "p99_save_ms", "lost", "double_leased", "db_multi_labeled")
    return _finish(result, args, plot_load, json.dumps({k: result[k] for k in keys}))


def run_search(args: argparse.Namespace) -> int:
    run = _part("search").run_search
    result = run([int(n) for n in args.pools.split(",")], dim=args.dim, repeats=args.repeats, quick=args.quick,
                 workdir=args.workdir, progress_path=args.json, umap_limit=args.umap_limit,
                 ann_limit=args.ann_limit)
    return _finish(result, args, lambda result, path: None, _part("search").summary_table(result))


def run_seed(args: argparse.Namespace) -> int:
    seeding = _part("seeding")
    result = seeding.run_seeding(
        args.data, seeds=[int(s) for s in args.seeds.split(",")],
        per_label=[k.strip() for k in args.per_label.split(",")], budget=args.budget, batch=args.batch,
        checkpoints=tuple(int(c) for c in args.checkpoints.split(",")), strategy=args.strategy, quick=args.quick,
        model=args.model, workdir=args.workdir, cache_dir=args.cache, progress_path=args.json,
        label_prior=args.label_prior,
    )
    return _finish(result, args, lambda result, path: None, seeding.summary_table(result))
