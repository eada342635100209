"""A simulated labeling team: label rows with realistic timing, errors and overlap.

For the dashboard benchmark, the demo screenshot and tests — never for
training decisions (``labelloop simulate`` measures active learning itself).
Each annotator has a speed (median seconds per item, log-normal spread), an
error rate (a wrong label is drawn uniformly from the other labels) and their
own clock with sessions separated by breaks. A fraction of the items is
labeled by ``k`` annotators, the rest by one.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from annotator.services.labelset import get_labels
from annotator.store.bulk_labels import TimedLabel as SimulatedLabel
from annotator.store.bulk_labels import insert_timed_annotations as insert_simulated_labels
from annotator.store.project import Project
from annotator.store.reporting import unlabeled_examples

BREAK_EVERY = 60            # labels per session, on average
BREAK_SECONDS = (1800.0, 14 * 3600.0)
OVERHEAD_SECONDS = 1.5      # between submitting one item and seeing the next


@dataclass(frozen=True)
class SimulatedAnnotator:
    name: str
    error_rate: float = 0.1
    median_seconds: float = 8.0


def default_team(n: int, seed: int = 0) -> list[SimulatedAnnotator]:
    """``n`` annotators with varied speed (4-15 s) and error rate (3-25 %)."""
    rng = np.random.default_rng(seed)
    return [
        SimulatedAnnotator(f"annotator{i + 1}", float(rng.uniform(0.03, 0.25)), float(rng.uniform(4, 15)))
        for i in range(n)
    ]


def simulate_team(
    project: Project,
    team: Sequence[SimulatedAnnotator],
    n_labels: int,
    *,
    gold: Mapping[int, str] | None = None,
    overlap_fraction: float = 0.3,
    k: int = 2,
    end: float | None = None,
    seed: int = 0,
) -> list[SimulatedLabel]:
    """Plan ``n_labels`` label rows over the project's unlabeled examples, oldest first.

    ``gold`` maps example id to its true label (only those examples are
    used); without it every unlabeled example gets a random true label from a
    skewed distribution. The last label is placed at ``end`` (default: now).
    Nothing is written: pass the rows to :func:`write_labels`.
    """
    if not team:
        raise ValueError("a simulated team needs at least one annotator")
    k = min(k, len(team))
    rng = np.random.default_rng(seed)
    labels = get_labels(project.db)
    candidates = [example_id for example_id, _ in unlabeled_examples(project.db)]
    if gold is not None:
        candidates = [example_id for example_id in candidates if example_id in gold]
        truth = {example_id: gold[example_id] for example_id in candidates}
    else:
        weights = rng.dirichlet(np.full(len(labels), 2.0))
        drawn = rng.choice(len(labels), size=len(candidates), p=weights)
        truth = {example_id: labels[j] for example_id, j in zip(candidates, drawn)}
    order = rng.permutation(len(candidates))
    clocks = rng.uniform(0, 3600, size=len(team))
    rows: list[SimulatedLabel] = []
    for position in order:
        if len(rows) >= n_labels:
            break
        example_id = candidates[position]
        raters = k if rng.random() < overlap_fraction else 1
        raters = min(raters, n_labels - len(rows))
        for a in rng.choice(len(team), size=raters, replace=False):
            member = team[a]
            seconds = float(member.median_seconds * rng.lognormal(0.0, 0.5))
            if rng.random() < 1.0 / BREAK_EVERY:
                clocks[a] += rng.uniform(*BREAK_SECONDS)
            clocks[a] += seconds + OVERHEAD_SECONDS
            label = truth[example_id]
            if len(labels) > 1 and rng.random() < member.error_rate:
                label = rng.choice([name for name in labels if name != label])
            rows.append((int(example_id), str(label), member.name, float(clocks[a]), round(seconds, 2)))
    shift = (time.time() if end is None else end) - max((row[3] for row in rows), default=0.0)
    rows = [(e, label, name, at + shift, seconds) for e, label, name, at, seconds in rows]
    rows.sort(key=lambda row: row[3])
    return rows


def write_labels(project: Project, rows: Sequence[SimulatedLabel]) -> int:
    """Insert planned rows (one transaction)."""
    return insert_simulated_labels(project.db, rows)
