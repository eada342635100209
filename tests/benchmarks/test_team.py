"""The simulated team used by the benchmark and the screenshot writes plausible label rows."""

from __future__ import annotations

from annotator.services import dashboard
from benchmarks.team import SimulatedAnnotator, default_team, simulate_team, write_labels
from tests.helpers.team import add_texts


def test_simulated_team_rows(project, tmp_path):
    ids = add_texts(project, [f"item {i}" for i in range(50)], tmp_path)
    team = [SimulatedAnnotator("a", 0.0, 5.0), SimulatedAnnotator("b", 0.0, 9.0), SimulatedAnnotator("c", 0.0, 7.0)]
    gold = {example_id: ["pos", "neg", "neutral"][i % 3] for i, example_id in enumerate(ids)}
    rows = simulate_team(project, team, 40, gold=gold, overlap_fraction=0.5, k=2, end=1_800_000_000.0, seed=1)
    assert len(rows) == 40
    assert len({(e, a) for e, _, a, _, _ in rows}) == 40  # one label per annotator and item
    assert all(label == gold[e] for e, label, _, _, _ in rows)  # error rate 0
    times = [at for _, _, _, at, _ in rows]
    assert times == sorted(times) and max(times) == 1_800_000_000.0
    assert write_labels(project, rows) == 40
    table = dashboard.annotator_table(project)
    assert sorted(table["annotator"]) == ["a", "b", "c"] and table["n_labels"].sum() == 40
    summary = dashboard.agreement_report(project).summary
    assert summary["n_items"] > 0 and summary["percent"] == 1.0  # no errors: every pair agrees
    assert simulate_team(project, default_team(2), 5, seed=0)  # only the 10+ unlabeled items remain
