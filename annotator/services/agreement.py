"""Inter-annotator agreement for nominal labels (pure numpy/pandas, no SQL).

Ratings come as a *ratings frame*: one row per item, one column per
annotator, the label as the value and ``None``/``NaN`` where an annotator did
not label the item (see :func:`ratings_frame` to build one from long rows).

Every coefficient only uses items with at least two ratings: an item seen by
one annotator says nothing about agreement.

Definitions
-----------
* **Percent agreement** — the mean over items of the share of agreeing
  annotator pairs on that item (for two annotators: the share of items on
  which they agree).
* **Cohen's kappa** — two annotators, items both labeled:
  ``(p_o - p_e) / (1 - p_e)`` with ``p_e`` from each annotator's own label
  distribution.
* **Fleiss' kappa** — several annotators. Items may have *different numbers*
  of ratings: we use the standard generalisation in which each item's
  agreement ``P_i = sum_k n_ik (n_ik - 1) / (n_i (n_i - 1))`` uses its own
  rater count ``n_i``, ``P_bar`` is the unweighted mean of ``P_i``, and the
  chance term ``P_e = sum_k p_k**2`` pools all ratings
  (``p_k = sum_i n_ik / sum_i n_i``). With a constant number of raters this
  is exactly Fleiss (1971); no item is dropped.
* **Krippendorff's alpha (nominal)** — from the coincidence matrix; handles
  missing ratings natively: ``alpha = 1 - (n - 1) * D / (n**2 - sum_c n_c**2)``
  where ``D = sum_u (m_u**2 - sum_c n_uc**2) / (m_u - 1)`` over items ``u``
  with ``m_u >= 2`` ratings and ``n = sum_u m_u``.
* **Per label** — one-vs-rest: each label is turned into a binary "this
  label / another label" rating and the coefficients are computed on that.

A coefficient is undefined (``nan``) when chance agreement is total, e.g.
every rating is the same label; with no item rated twice everything is ``nan``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

NAN = float("nan")


def ratings_frame(
    rows: pd.DataFrame, *, item: str = "example_id", rater: str = "annotator", label: str = "label"
) -> pd.DataFrame:
    """Pivot long rows (item, rater, label) into a ratings frame (items x raters)."""
    if rows.empty:
        return pd.DataFrame()
    if rows.duplicated([item, rater]).any():
        raise ValueError("an annotator has two labels for the same item")
    frame = rows.pivot(index=item, columns=rater, values=label)
    frame.columns.name = None
    return frame.astype(object).where(frame.notna(), None)


def _as_frame(ratings: pd.DataFrame | Sequence[Sequence[object]]) -> pd.DataFrame:
    """Accept a ratings frame or a list of per-annotator label lists (None = missing)."""
    if isinstance(ratings, pd.DataFrame):
        return ratings
    columns = [list(column) for column in ratings]
    if len({len(column) for column in columns}) > 1:
        raise ValueError("every annotator's list must cover the same items")
    return pd.DataFrame({i: column for i, column in enumerate(columns)})


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def code_matrix(
    ratings: pd.DataFrame | Sequence[Sequence[object]], categories: Sequence[object] | None = None
) -> tuple[np.ndarray, list[object]]:
    """Items x raters integer codes (index into the categories; -1 = no rating) and the categories."""
    frame = _as_frame(ratings)
    values = frame.to_numpy(dtype=object)
    present = ~pd.isna(values) if values.size else np.zeros(values.shape, dtype=bool)
    observed = values[present]
    if categories is None:
        categories = sorted(set(observed.tolist()), key=str)
    categories = list(categories)
    codes = np.full(values.shape, -1, dtype=np.int64)
    if observed.size:
        found = pd.Categorical(observed, categories=categories).codes.astype(np.int64)
        if (found < 0).any():
            unknown = sorted({v for v, c in zip(observed.tolist(), found) if c < 0}, key=str)
            raise ValueError(f"rating {unknown[0]!r} is not one of the categories")
        codes[present] = found
    return codes, categories


def count_matrix(
    ratings: pd.DataFrame | Sequence[Sequence[object]], categories: Sequence[object] | None = None
) -> tuple[np.ndarray, list[object]]:
    """Items x categories counts ``n_ik`` for items with >= 2 ratings, and the categories."""
    codes, categories = code_matrix(ratings, categories)
    return _counts_from_codes(codes, len(categories)), categories


def _counts_from_codes(codes: np.ndarray, k: int) -> np.ndarray:
    rows, cols = np.nonzero(codes >= 0)
    flat = np.bincount(rows * k + codes[rows, cols], minlength=codes.shape[0] * k) if k else np.zeros(0)
    counts = flat.reshape(codes.shape[0], k).astype(np.int64)
    return counts[counts.sum(axis=1) >= 2]


def percent_agreement_counts(counts: np.ndarray) -> float:
    """Mean share of agreeing pairs per item, from a count matrix."""
    n_i = counts.sum(axis=1)
    if len(n_i) == 0:
        return NAN
    per_item = (counts * (counts - 1)).sum(axis=1) / (n_i * (n_i - 1))
    return float(per_item.mean())


def fleiss_kappa_counts(counts: np.ndarray) -> float:
    """Fleiss' kappa from a count matrix; rows may have different totals (see module doc)."""
    n_i = counts.sum(axis=1)
    if len(n_i) == 0:
        return NAN
    p_bar = percent_agreement_counts(counts)
    p_k = counts.sum(axis=0) / n_i.sum()
    p_e = float((p_k**2).sum())
    if math.isclose(p_e, 1.0):
        return NAN
    return (p_bar - p_e) / (1.0 - p_e)


def krippendorff_alpha_counts(counts: np.ndarray) -> float:
    """Krippendorff's alpha (nominal) from a count matrix of pairable items."""
    m_u = counts.sum(axis=1)
    if len(m_u) == 0:
        return NAN
    n = float(m_u.sum())
    disagreement = float(((m_u**2 - (counts**2).sum(axis=1)) / (m_u - 1)).sum())
    n_c = counts.sum(axis=0).astype(float)
    expected = n**2 - float((n_c**2).sum())
    if expected == 0:
        return NAN
    return 1.0 - (n - 1.0) * disagreement / expected


def percent_agreement(ratings: pd.DataFrame | Sequence[Sequence[object]]) -> float:
    return percent_agreement_counts(count_matrix(ratings)[0])


def fleiss_kappa(ratings: pd.DataFrame | Sequence[Sequence[object]]) -> float:
    return fleiss_kappa_counts(count_matrix(ratings)[0])


def krippendorff_alpha(ratings: pd.DataFrame | Sequence[Sequence[object]]) -> float:
    """Krippendorff's alpha (nominal); missing ratings allowed."""
    return krippendorff_alpha_counts(count_matrix(ratings)[0])


def cohen_kappa_table(table: np.ndarray) -> float:
    """Cohen's kappa from a square contingency table (rows: rater A, columns: rater B)."""
    table = np.asarray(table, dtype=float)
    total = table.sum()
    if total == 0:
        return NAN
    p_o = np.trace(table) / total
    p_e = float((table.sum(axis=1) * table.sum(axis=0)).sum() / total**2)
    if math.isclose(p_e, 1.0):
        return NAN
    return float((p_o - p_e) / (1.0 - p_e))


def cohen_kappa(a: Sequence[object], b: Sequence[object]) -> float:
    """Cohen's kappa between two raters over the items both labeled (None = missing)."""
    if len(a) != len(b):
        raise ValueError("both raters' lists must cover the same items")
    pairs = [(x, y) for x, y in zip(a, b) if not _missing(x) and not _missing(y)]
    if not pairs:
        return NAN
    categories = sorted({v for pair in pairs for v in pair}, key=str)
    index = {category: k for k, category in enumerate(categories)}
    table = np.zeros((len(categories), len(categories)))
    for x, y in pairs:
        table[index[x], index[y]] += 1
    return cohen_kappa_table(table)


def pairwise_cohen(ratings: pd.DataFrame | Sequence[Sequence[object]]) -> pd.DataFrame:
    """Cohen's kappa and percent agreement for every pair of annotators with shared items.

    Columns: annotator_a, annotator_b, n_items, percent, cohen_kappa.
    """
    frame = _as_frame(ratings)
    codes, categories = code_matrix(frame)
    return _pairwise_from_codes(codes, len(categories), list(frame.columns))


def _pairwise_from_codes(codes: np.ndarray, k: int, raters: list[object]) -> pd.DataFrame:
    records = []
    for i, j in itertools.combinations(range(codes.shape[1]), 2):
        both = (codes[:, i] >= 0) & (codes[:, j] >= 0)
        n = int(both.sum())
        if n == 0:
            continue
        table = np.bincount(codes[both, i] * k + codes[both, j], minlength=k * k).reshape(k, k)
        records.append(
            {
                "annotator_a": raters[i],
                "annotator_b": raters[j],
                "n_items": n,
                "percent": float(np.trace(table) / n),
                "cohen_kappa": cohen_kappa_table(table),
            }
        )
    return pd.DataFrame(records, columns=["annotator_a", "annotator_b", "n_items", "percent", "cohen_kappa"])


def agreement_summary(ratings: pd.DataFrame | Sequence[Sequence[object]]) -> dict[str, float]:
    """Overall percent, Fleiss' kappa, Krippendorff's alpha and the number of items used."""
    return _summary_from_counts(count_matrix(ratings)[0])


def _summary_from_counts(counts: np.ndarray) -> dict[str, float]:
    return {
        "n_items": int(len(counts)),
        "percent": percent_agreement_counts(counts),
        "fleiss_kappa": fleiss_kappa_counts(counts),
        "krippendorff_alpha": krippendorff_alpha_counts(counts),
    }


def per_label_agreement(
    ratings: pd.DataFrame | Sequence[Sequence[object]], labels: Sequence[object] | None = None
) -> pd.DataFrame:
    """One-vs-rest agreement per label: columns label, n_ratings, percent, fleiss_kappa, krippendorff_alpha."""
    counts, categories = count_matrix(ratings, categories=labels)
    return _per_label_from_counts(counts, categories)


def _per_label_from_counts(counts: np.ndarray, categories: list[object]) -> pd.DataFrame:
    records = []
    total = counts.sum(axis=1)
    for k, label in enumerate(categories):
        binary = np.stack([counts[:, k], total - counts[:, k]], axis=1)
        records.append(
            {
                "label": label,
                "n_ratings": int(counts[:, k].sum()),
                "percent": percent_agreement_counts(binary),
                "fleiss_kappa": fleiss_kappa_counts(binary),
                "krippendorff_alpha": krippendorff_alpha_counts(binary),
            }
        )
    return pd.DataFrame(
        records, columns=["label", "n_ratings", "percent", "fleiss_kappa", "krippendorff_alpha"]
    )


@dataclass
class AgreementTables:
    summary: dict[str, float]
    pairwise: pd.DataFrame
    per_label: pd.DataFrame


def agreement_tables(
    ratings: pd.DataFrame | Sequence[Sequence[object]], labels: Sequence[object] | None = None
) -> AgreementTables:
    """Summary, pairwise Cohen and per-label tables from one encoding of the ratings."""
    frame = _as_frame(ratings)
    codes, categories = code_matrix(frame, categories=labels)
    counts = _counts_from_codes(codes, len(categories))
    return AgreementTables(
        summary=_summary_from_counts(counts),
        pairwise=_pairwise_from_codes(codes, len(categories), list(frame.columns)),
        per_label=_per_label_from_counts(counts, categories),
    )
