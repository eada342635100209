"""The project store: the only place in Labelloop that holds SQL.

One module per table group; every write is one short ``BEGIN IMMEDIATE``
transaction so several processes can write at once without "database is locked".
"""

from annotator.store.project import Project, create_project, open_project

__all__ = ["Project", "create_project", "open_project"]
