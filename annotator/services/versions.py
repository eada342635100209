"""Publishing a model version: the one path every new ranking takes.

:func:`publish` stages the version's scores, makes it current in one small
transaction (:func:`annotator.store.versions.publish_version`), then records the
stopping signal against the version before it and prunes the scores of old
versions (:func:`annotator.services.stability.after_publish`) — for a cold
start, a head refresh and a fine-tune alike.
"""

from __future__ import annotations

from typing import Any

from annotator.services.stability import after_publish
from annotator.store.project import Project
from annotator.store.versions import publish_version


def publish(project: Project, *, prune: bool = True, **version: Any) -> int:
    """Publish a version (keyword arguments of ``publish_version``); its number. ``prune`` False
    leaves pruning old scores to the caller's idle time (the worker, at large pools)."""
    number = publish_version(project.db, **version)
    after_publish(project, number, prune=prune)
    return number
