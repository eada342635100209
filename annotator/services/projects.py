"""Opening and creating projects, for the front-ends (which never reach the store directly)."""

from __future__ import annotations

from annotator.store.project import Project, create_project, open_project

__all__ = ["Project", "create_project", "open_project"]
