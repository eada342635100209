"""Inter-annotator agreement of a multi-label project: per label, and on whole sets with MASI.

* **Per label**: each label becomes a yes/no rating (the label is in the annotator's set or not),
  and the single-label coefficients of :mod:`annotator.services.agreement` (percent, Fleiss' kappa,
  Krippendorff's alpha, nominal) are computed on it, over the texts labeled by two or more annotators.
* **Whole sets**: Krippendorff's alpha with the MASI distance (Passonneau 2006, "Measuring agreement
  on set-valued items (MASI)"): ``d(A, B) = 1 - J * M`` with ``J = |A & B| / |A | B|`` (Jaccard) and
  ``M`` = 1 when the sets are equal, 2/3 when one holds the other, 1/3 when they overlap otherwise,
  0 when disjoint (two empty sets: distance 0). ``alpha = 1 - D_o / D_e`` where, over the ``n``
  values of the texts with ``m_u >= 2`` sets, ``D_o = (1/n) sum_u 1/(m_u - 1) sum_{i != j in u} d``
  and ``D_e = 1/(n (n - 1)) sum_{i != j} d`` over all pairs of those values.

Only annotations and imports count (a lead's adjudication is a decision, not a rating); each
annotator's current set. Undefined figures are None.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from annotator.services.agreement import agreement_summary
from annotator.services.labelset import get_labels
from annotator.store.label_sets import current_label_sets
from annotator.store.project import Project


def masi_distance(a: frozenset[str] | set[str], b: frozenset[str] | set[str]) -> float:
    a, b = frozenset(a), frozenset(b)
    if a == b:
        return 0.0
    union, common = a | b, a & b
    if not common:
        return 1.0
    monotonicity = 2 / 3 if (a <= b or b <= a) else 1 / 3
    return 1.0 - len(common) / len(union) * monotonicity


def masi_alpha(items: Sequence[Sequence[frozenset[str]]]) -> float:
    """Krippendorff's alpha with the MASI distance over ``items`` (each a list of the sets it got);
    nan when no text has two sets or every set is the same."""
    rated = [list(values) for values in items if len(values) >= 2]
    values = [value for item in rated for value in item]
    n = len(values)
    if n < 2:
        return math.nan
    observed = sum(sum(masi_distance(a, b) for i, a in enumerate(item) for j, b in enumerate(item) if i != j)
                   / (len(item) - 1) for item in rated) / n
    expected = sum(masi_distance(a, b) for i, a in enumerate(values) for j, b in enumerate(values) if i != j) \
        / (n * (n - 1))
    return math.nan if expected == 0 else 1.0 - observed / expected


def _number(value: float) -> float | None:
    return None if value is None or math.isnan(value) else round(float(value), 4)


def set_agreement(project: Project) -> dict[str, Any]:
    """``n_items`` (texts with two or more sets), ``masi_alpha`` and ``per_label`` (label ->
    percent, fleiss_kappa, krippendorff_alpha)."""
    rows = [row for row in current_label_sets(project.db) if row["kind"] != "adjudication"]
    by_text: dict[int, dict[str, frozenset[str]]] = {}
    for row in rows:
        by_text.setdefault(row["example_id"], {})[row["annotator"]] = frozenset(row["names"])
    shared = {text: sets for text, sets in by_text.items() if len(sets) >= 2}
    per_label = {}
    for label in get_labels(project.db):
        frame = pd.DataFrame({text: {who: ("yes" if label in names else "no") for who, names in sets.items()}
                              for text, sets in shared.items()}).T
        summary = agreement_summary(frame.astype(object).where(frame.notna(), None)) if shared else {}
        per_label[label] = {key: _number(summary.get(key, math.nan))
                            for key in ("percent", "fleiss_kappa", "krippendorff_alpha")}
    alpha = masi_alpha([list(sets.values()) for sets in shared.values()])
    return {"n_items": len(shared), "masi_alpha": _number(alpha), "per_label": per_label}
