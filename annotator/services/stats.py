"""Project statistics as one JSON-ready dict (``labelloop stats --json``, the lead's pages).

Core keys (always present), in the one vocabulary of counts (also the Dashboard's and the
Label page's):

* ``label_mode``: ``single-label`` or ``multi-label`` (fixed when the project was created);
* ``examples``: every text of the project;
* ``pool``: the texts to label (every text not in the evaluation set);
* ``labeled`` / ``unlabeled``: pool texts with / without at least one current label;
* ``eval`` / ``eval_labeled``: the evaluation set, and how many of its texts carry a label;
* ``per_label``: current labels of pool texts per label, every label of the set in its order (0 included);
* ``per_annotator``: current labels per annotator (pool and evaluation set);
* ``labels_current`` / ``labels_total``: current label rows / all rows including superseded ones;
* ``adjudicated``: examples with a current lead adjudication.

A multi-label project adds ``set_agreement`` (:mod:`annotator.services.set_agreement`: per-label
agreement and Krippendorff's alpha with the MASI distance).

More keys come from :data:`SECTIONS`: each entry maps a key to
``"module:function"``, a function called with the open project whose return
value (JSON-ready) becomes ``stats[key]``. Imported lazily, so adding one
(e.g. ``"agreement"`` or ``"model"``) is one line here and costs nothing to
callers that never ask for it.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import Any

from annotator.services.label_mode import mode_name
from annotator.store.project import Project
from annotator.store.reporting import label_totals, pool_counts

SECTIONS: dict[str, str] = {
    "agreement": "annotator.services.dashboard:agreement_stats",
    "model": "annotator.services.dashboard:model_stats",
}


def project_stats(project: Project, *, sections: Iterable[str] | None = None) -> dict[str, Any]:
    """The core counts plus the extra ``sections`` (default: all of :data:`SECTIONS`)."""
    stats = {"label_mode": mode_name(project.db), **pool_counts(project.db), **label_totals(project.db)}
    for key in SECTIONS if sections is None else sections:
        stats[key] = _section(key)(project)
    if sections is None and stats["label_mode"] == "multi-label":
        from annotator.services.set_agreement import set_agreement

        stats["set_agreement"] = set_agreement(project)
    return stats


def _section(key: str):
    target = SECTIONS.get(key)
    if target is None:
        raise KeyError(f"unknown stats section {key!r}")
    module_name, _, function_name = target.partition(":")
    return getattr(importlib.import_module(module_name), function_name)
