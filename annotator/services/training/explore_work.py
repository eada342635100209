"""The worker's share of the Explore page: answer typed-query embeddings, keep the embedding map current.

On every poll the learning loop (:mod:`annotator.services.training.schedule`) first answers the
queued ``embed_query`` jobs (:meth:`ExploreWork.answer`) on its own thread with the encoder it
holds (milliseconds; a search waits at most one poll), and at the end, when the loop had nothing
else to do (:meth:`ExploreWork.start_map`) and the map of the current encoder is missing or stale
(:func:`annotator.services.projection.map_due`) it is computed on a thread of its own and
recorded as a ``map`` job.
"""

from __future__ import annotations

import logging
import threading

from annotator.services.projection import compute_map, map_due
from annotator.services.projects import open_project
from annotator.services.training.models import LoopModels
from annotator.services.training.query_embedding import answer_query_jobs
from annotator.store import jobs as job_store
from annotator.store.project import Project

log = logging.getLogger("labelloop.worker")
MAP_JOB = "map"


class ExploreWork:
    def __init__(self, project: Project):
        self.project = project
        self._thread: threading.Thread | None = None
        self._failed_for: int | None = None  # the encoder whose map failed: not retried by this process

    def answer(self, models: LoopModels) -> int:
        """Answer the queued query embeddings (the Explore page waits for them); how many."""
        return answer_query_jobs(self.project, models)

    def start_map(self, *, idle: bool) -> bool:
        """When the loop is ``idle``, start computing the map if it is due; True if it started."""
        if not idle or self.running():
            return False
        version = map_due(self.project)
        if version is None or version == self._failed_for:
            return False
        self._thread = threading.Thread(target=self._map, args=(version,), name="labelloop-map", daemon=True)
        self._thread.start()
        return True

    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join()

    def _map(self, version: int) -> None:
        project = open_project(self.project.path)
        job = job_store.start_job(project.db, MAP_JOB, f"embedding map of encoder v{version}")
        try:
            done = compute_map(project, version)
        except Exception as error:  # noqa: BLE001 - recorded; the page keeps the last map
            self._failed_for = version
            job_store.fail_job(project.db, job, f"{type(error).__name__}: {error}")
            log.error("embedding map failed: %s: %s", type(error).__name__, error)
        else:
            job_store.finish_job(project.db, job, f"map of {done['n']:,} texts ({done['method']})")
            log.info("embedding map of encoder v%s: %s texts (%s)", version, done["n"], done["method"])
        finally:
            project.close()
