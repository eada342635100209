"""Reserve an evaluation set: a seeded random sample of unlabeled pool items.

Evaluation items (``examples.is_eval = 1``) are served and labeled like any
other item but never trained on, so the learning curve measures the model on
an unbiased sample (actively chosen training labels are not one).
"""

from __future__ import annotations

from annotator.errors import InputError
from annotator.services.settings import get_setting
from annotator.store.examples import reserve_eval_sample
from annotator.store.project import Project
from annotator.store.reporting import pool_counts


def pool_counts_of(project: Project) -> dict[str, int]:
    """The pool and evaluation-set counts (see :func:`annotator.store.reporting.pool_counts`)."""
    return pool_counts(project.db)


def reserve_eval_set(project: Project, n: int, *, seed: int | None = None) -> list[int]:
    """Mark ``n`` unlabeled pool items as evaluation items; return their ids.

    ``seed`` defaults to the project's ``seed`` setting, so the same project
    state and seed always pick the same items. Asking for more items than
    the unlabeled pool holds is an InputError and changes nothing.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InputError(f"the evaluation set size must be a whole number >= 1, got {n!r}")
    available = pool_counts(project.db)["unlabeled"]
    if n > available:
        raise InputError(f"cannot reserve {n} evaluation items: only {available} unlabeled pool items")
    return reserve_eval_sample(project.db, n, get_setting(project.db, "seed") if seed is None else seed)
