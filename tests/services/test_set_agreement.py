"""Agreement of a multi-label project on a fixture computed by hand: MASI distances, Krippendorff's
alpha with MASI over whole sets, and per-label alpha and kappa."""

from __future__ import annotations

import math

import pytest

from annotator.services.projects import create_project
from annotator.services.set_agreement import masi_alpha, masi_distance, set_agreement
from annotator.services.stats import project_stats
from annotator.store.label_sets import add_label_set
from tests.helpers.team import add_texts


def test_masi_distance_by_hand():
    assert masi_distance({"a"}, {"a"}) == 0.0 and masi_distance(set(), set()) == 0.0
    assert masi_distance({"a", "b"}, {"a"}) == pytest.approx(1 - 1 / 2 * 2 / 3)  # subset: J 1/2, M 2/3
    assert masi_distance({"a", "b"}, {"b", "c"}) == pytest.approx(1 - 1 / 3 * 1 / 3)  # overlap: J 1/3, M 1/3
    assert masi_distance({"a"}, {"b"}) == 1.0 and masi_distance(set(), {"a"}) == 1.0


# Two annotators, three texts: {a,b} / {a}; {c} / {c}; {a} / {b}.
# Values (n = 6): V1 {a,b}, V2 {a}, V3 {c}, V4 {c}, V5 {a}, V6 {b}.
# Observed: each text has 2 values (m_u - 1 = 1); ordered pairs: 2 x 2/3 + 0 + 2 x 1 = 10/3; D_o = 10/3 / 6 = 5/9.
# Expected: the 15 unordered pairs' distances sum to 12 (V1: 2/3+1+1+2/3+2/3 = 4; V2: 1+1+0+1 = 3;
# V3: 0+1+1 = 2; V4: 1+1 = 2; V5: 1), so 24 ordered; D_e = 24 / (6 x 5) = 4/5.
# alpha = 1 - (5/9) / (4/5) = 11/36.
# Per label 'a' (yes/no): (yes, yes), (no, no), (yes, no): D_o = 2/6, D_e = 2 x 3 x 3 / 30 = 3/5,
# alpha = 1 - (1/3)/(3/5) = 4/9; Fleiss (Scott's pi for two raters): P_o = 2/3, P_e = (1/2)^2 + (1/2)^2 = 1/2,
# kappa = (2/3 - 1/2) / (1/2) = 1/3. Label 'c': always agreed, yes on one text: alpha 1.
FIXTURE = [({"a", "b"}, {"a"}), ({"c"}, {"c"}), ({"a"}, {"b"})]


def test_masi_alpha_by_hand():
    assert masi_alpha([[frozenset(x), frozenset(y)] for x, y in FIXTURE]) == pytest.approx(11 / 36)
    assert math.isnan(masi_alpha([[frozenset({"a"})]]))  # no text with two sets


def test_set_agreement_of_a_project_by_hand(tmp_path):
    with create_project(tmp_path / "m", ["a", "b", "c"], multi_label=True) as project:
        ids = add_texts(project, ["one", "two", "three", "alone"], tmp_path)
        for example_id, (first, second) in zip(ids, FIXTURE):
            add_label_set(project.db, example_id, sorted(first), "ann1")
            add_label_set(project.db, example_id, sorted(second), "ann2")
        add_label_set(project.db, ids[3], ["a"], "ann1")  # one set: says nothing about agreement
        add_label_set(project.db, ids[2], ["b"], "lead", kind="adjudication")  # a decision, not a rating
        result = set_agreement(project)
        assert result["n_items"] == 3
        assert result["masi_alpha"] == round(11 / 36, 4)
        assert result["per_label"]["a"]["krippendorff_alpha"] == round(4 / 9, 4)
        assert result["per_label"]["a"]["fleiss_kappa"] == round(1 / 3, 4)
        assert result["per_label"]["c"]["krippendorff_alpha"] == 1.0
        assert project_stats(project)["set_agreement"] == result
