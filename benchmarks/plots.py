"""PNG plots of benchmark results (matplotlib, Agg backend: no display needed).

Each function takes the JSON-ready dict its benchmark part returns and writes
one PNG; nothing here measures anything.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import numpy as np  # noqa: E402

from annotator.errors import InputError  # noqa: E402

_RANDOM_STYLE = {"color": "black", "linestyle": "--", "linewidth": 1.6}


def _save(fig: Any, path: str | os.PathLike) -> Path:
    path = Path(path)
    if not path.parent.exists():
        plt.close(fig)
        raise InputError(f"{path.parent}: no such folder for the plot")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _mean_curve(runs: list[dict[str, Any]], key: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mean, min and max of ``key`` over seeds at the label counts every run reached."""
    counts = sorted(set.intersection(*[{p["labels"] for p in run["curve"]} for run in runs]))
    table = np.array(
        [[next(p[key] for p in run["curve"] if p["labels"] == n) for n in counts] for run in runs],
        dtype=float,
    )
    return np.array(counts), table.mean(axis=0), table.min(axis=0), table.max(axis=0)


def plot_curves(result: dict[str, Any], path: str | os.PathLike, metric: str = "accuracy") -> Path:
    """One panel per dataset: ``metric`` versus labels, one line per configuration (mean over seeds)."""
    datasets = result["datasets"]
    if not datasets:
        raise InputError("no curves to plot")
    fig, axes = plt.subplots(1, len(datasets), figsize=(5.2 * len(datasets), 4.2), squeeze=False)
    for ax, (name, data) in zip(axes[0], datasets.items()):
        groups: dict[str, list[dict[str, Any]]] = {}
        for run in data["runs"]:
            groups.setdefault(run["config"], []).append(run)
        for config, runs in sorted(groups.items()):
            x, mean, low, high = _mean_curve(runs, metric)
            style = dict(_RANDOM_STYLE) if runs[0]["strategy"] == "random" else {"linewidth": 1.4}
            ax.plot(x, mean, label=f"{config} (n={len(runs)})", **style)
            if len(runs) > 1:
                ax.fill_between(x, low, high, alpha=0.12, color=ax.lines[-1].get_color())
        for ref in data.get("reference", []):
            if ref.get("metric", "accuracy") == metric:
                ax.scatter([ref["labels"]], [ref["value"]], marker="*", s=90, color="crimson", zorder=5)
                ax.annotate(ref["short"], (ref["labels"], ref["value"]), fontsize=7,
                            xytext=(-4, 5), textcoords="offset points", ha="right")
        ax.set_title(f"{name} (pool {data.get('n_pool', '?')}, test {data.get('n_test', '?')})")
        ax.set_xlabel("labels")
        ax.set_ylabel(metric.replace("_", "-"))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="lower right")
    return _save(fig, path)


def plot_speed(result: dict[str, Any], path: str | os.PathLike) -> Path:
    """Scoring throughput (ours vs pipeline), queue refresh, import/export times."""
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    scoring = result.get("scoring", {})
    bars = [("labelloop\npredict_proba", result.get("scoring_texts_per_s")),
            ("transformers\npipeline", result.get("pipeline_texts_per_s"))]
    bars = [(name, value) for name, value in bars if value is not None]
    ax = axes[0]
    ax.bar([b[0] for b in bars], [b[1] for b in bars], color=["tab:blue", "tab:gray"][: len(bars)])
    for i, (_, value) in enumerate(bars):
        ax.annotate(f"{value:.0f}", (i, value), ha="center", va="bottom")
    ax.set_ylabel("texts / s")
    speedup = result.get("scoring_speedup")
    ax.set_title(f"pool scoring, {scoring.get('n_texts', '?')} texts"
                 + (f" (x{speedup:.2f})" if speedup else ""))

    ax = axes[1]
    refresh = result.get("refresh", [])
    names = [f"{r['pool']:,} pool" for r in refresh]
    parts = ("read_s", "head_fit_s", "scoring_s", "ranking_s", "publish_s")
    bottom = np.zeros(len(refresh))
    for part in parts:
        values = np.array([r.get(part) or 0.0 for r in refresh])
        ax.bar(names, values, bottom=bottom, label=part.removesuffix("_s"))
        bottom += values
    ax.set_ylabel("seconds")
    ax.set_title("queue refresh after a batch (fast tier)")
    if refresh:
        ax.legend(fontsize=8)

    ax = axes[2]
    io = result.get("io")
    if io:
        width = 0.38
        x = np.arange(2)
        ax.bar(x - width / 2, [io["import_s"], io["export_s"]], width, label="labelloop")
        ax.bar(x + width / 2, [io["baseline_import_s"], io["baseline_export_s"]], width, label="baseline",
               color="tab:gray")
        ax.set_xticks(x, ["import", "export"])
        ax.legend(fontsize=8)
        ax.set_title(f"import / export, {io['rows']:,} rows")
    ax.set_ylabel("seconds")
    return _save(fig, path)


def plot_load(result: dict[str, Any], path: str | os.PathLike) -> Path:
    """Latency percentiles of next-item and save, and a histogram of each."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    ax = axes[0]
    points = ("p50", "p95", "p99")
    x = np.arange(len(points))
    width = 0.38
    nxt = [result["next_ms"][p] or 0 for p in points]
    save = [result["save_ms"][p] or 0 for p in points]
    ax.bar(x - width / 2, nxt, width, label="next item")
    ax.bar(x + width / 2, save, width, label="save label")
    ax.set_xticks(x, points)
    ax.set_ylabel("ms")
    ax.set_title(f"{result['annotators']} annotators x {result['labels_each']} labels, "
                 f"pool {result['pool']:,}, think {result.get('think_ms', 0):g} ms", fontsize=10)
    ax.legend(fontsize=8)
    ax = axes[1]
    hist = result.get("histogram_ms", {})
    for name in ("next", "save"):
        values = hist.get(name)
        if values:
            ax.hist(values, bins=50, alpha=0.6, label=name, log=True)
    ax.set_xlabel("ms")
    ax.set_ylabel("calls")
    ax.set_title(f"throughput {result.get('labels_per_s', 0):.0f} labels/s; "
                 f"lost {result.get('lost')}, double-leased {result.get('double_leased')}")
    ax.legend(fontsize=8)
    return _save(fig, path)
