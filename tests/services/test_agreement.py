"""Agreement coefficients against values computed by hand and published worked examples."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score

from annotator.services import agreement

N = None
# The issue's example: three annotators over six items, None = no label.
A = ["y", "y", "n", "n", "y", N]
B = [N, "y", "n", "y", "y", "n"]
C = ["y", "n", "n", "y", "y", N]


def test_krippendorff_issue_example():
    # By hand: pairable units 1-5 (unit 6 has one rating); coincidences o_yy=7,
    # o_nn=3, o_yn=o_ny=2, n=14, n_y=9, n_n=5: alpha = 1 - 13*4/(196-81-25) = 38/90.
    assert agreement.krippendorff_alpha([A, B, C]) == pytest.approx(38 / 90)
    assert round(agreement.krippendorff_alpha([A, B, C]), 4) == 0.4222


def test_krippendorff_published_example_with_missing_values():
    # Krippendorff's own 4-observer, 12-unit nominal example: alpha = 0.743.
    a = [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N]
    b = [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3]
    c = [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N]
    d = [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N]
    assert round(agreement.krippendorff_alpha([a, b, c, d]), 3) == 0.743


def test_perfect_agreement_is_one():
    labels = ["a", "b", "c", "a", "b"]
    ratings = [labels, list(labels), list(labels)]
    assert agreement.percent_agreement(ratings) == 1.0
    assert agreement.fleiss_kappa(ratings) == pytest.approx(1.0)
    assert agreement.krippendorff_alpha(ratings) == pytest.approx(1.0)
    assert agreement.cohen_kappa(labels, labels) == pytest.approx(1.0)


def test_cohen_kappa_on_a_2x2_table_by_hand():
    # rows rater A (yes, no), columns rater B: p_o = 35/50 = 0.7,
    # p_e = (25*30 + 25*20)/50^2 = 0.5, kappa = (0.7-0.5)/(1-0.5) = 0.4
    assert agreement.cohen_kappa_table(np.array([[20, 5], [10, 15]])) == pytest.approx(0.4)
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert agreement.cohen_kappa(a, b) == pytest.approx(0.4)
    assert agreement.cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b))


def test_cohen_kappa_skips_items_not_labeled_by_both():
    a = ["x", "y", N, "x", "y"]
    b = ["x", "y", "x", N, "x"]
    assert agreement.cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(["x", "y", "y"], ["x", "y", "x"]))


def test_fleiss_small_hand_example():
    # 4 items x 3 raters: P_i = 1, 1/3, 1/3, 1 -> P_bar = 2/3; p_a = p_b = 1/2 -> P_e = 1/2
    # kappa = (2/3 - 1/2) / (1/2) = 1/3
    ratings = [["a", "a", "b", "b"], ["a", "a", "b", "b"], ["a", "b", "a", "b"]]
    assert agreement.fleiss_kappa(ratings) == pytest.approx(1 / 3)
    assert agreement.percent_agreement(ratings) == pytest.approx(2 / 3)


def test_fleiss_published_counts_example():
    # The classic 10 subjects x 14 raters x 5 categories table: kappa = 0.210.
    counts = np.array([
        [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
    ])
    assert round(agreement.fleiss_kappa_counts(counts), 3) == 0.210


def test_fleiss_with_varying_rater_counts_uses_each_items_own_count():
    # Issue example: items 1-5 (2,3,3,3,3 raters). P_i = 1, 1/3, 1, 1/3, 1 -> P_bar = 11/15;
    # p_y = 9/14, p_n = 5/14 -> P_e = 106/196.
    p_bar, p_e = 11 / 15, (81 + 25) / 196
    assert agreement.fleiss_kappa([A, B, C]) == pytest.approx((p_bar - p_e) / (1 - p_e))
    assert agreement.percent_agreement([A, B, C]) == pytest.approx(p_bar)


def test_two_raters_fleiss_and_cohen_close_alpha_defined():
    a = ["x", "x", "y", "y", "x", "y"]
    b = ["x", "y", "y", "y", "x", "x"]
    assert agreement.percent_agreement([a, b]) == pytest.approx(4 / 6)
    assert math.isfinite(agreement.krippendorff_alpha([a, b]))


def test_undefined_cases_are_nan():
    assert math.isnan(agreement.krippendorff_alpha([["a", N], [N, "a"]]))  # no item rated twice
    assert math.isnan(agreement.fleiss_kappa([["a", "a"], ["a", "a"]]))  # one category only
    assert math.isnan(agreement.cohen_kappa([N], ["a"]))
    summary = agreement.agreement_summary(pd.DataFrame())
    assert summary["n_items"] == 0 and math.isnan(summary["percent"])


def test_pairwise_cohen_table():
    table = agreement.pairwise_cohen(pd.DataFrame({"A": A, "B": B, "C": C}))
    assert list(table["annotator_a"]) == ["A", "A", "B"]
    assert list(table["annotator_b"]) == ["B", "C", "C"]
    assert list(table["n_items"]) == [4, 5, 4]
    ab = table.iloc[0]
    assert ab["percent"] == pytest.approx(0.75)
    assert ab["cohen_kappa"] == pytest.approx(cohen_kappa_score(["y", "n", "n", "y"], ["y", "n", "y", "y"]))


def test_per_label_is_one_vs_rest():
    ratings = pd.DataFrame({"A": ["a", "b", "c", "a"], "B": ["a", "b", "b", "c"]})
    table = agreement.per_label_agreement(ratings, labels=["a", "b", "c", "d"]).set_index("label")
    # label a: binary (a / not a) ratings: items [aa, --, --, a-] -> alpha of that binary table
    binary = [["a", "o", "o", "a"], ["a", "o", "o", "o"]]
    assert table.loc["a", "krippendorff_alpha"] == pytest.approx(agreement.krippendorff_alpha(binary))
    assert table.loc["a", "n_ratings"] == 3
    assert table.loc["d", "n_ratings"] == 0 and math.isnan(table.loc["d", "krippendorff_alpha"])
    # with two labels the one-vs-rest table equals the overall coefficient
    two = agreement.per_label_agreement([A, B, C]).set_index("label")
    assert two.loc["y", "krippendorff_alpha"] == pytest.approx(38 / 90)


def test_ratings_frame_from_long_rows():
    rows = pd.DataFrame(
        {"example_id": [1, 1, 2, 2, 2], "annotator": ["A", "B", "A", "B", "C"], "label": list("xyxxy")}
    )
    frame = agreement.ratings_frame(rows)
    assert frame.shape == (2, 3)
    assert frame.loc[1, "C"] is None
    assert agreement.agreement_summary(frame)["n_items"] == 2
    with pytest.raises(ValueError, match="two labels"):
        agreement.ratings_frame(pd.concat([rows, rows.iloc[:1]]))
