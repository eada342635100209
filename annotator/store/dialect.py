"""Which backend a connection talks to, without importing a driver: the store's one switch between
the SQLite and PostgreSQL forms of a statement (``if is_postgres(conn): ... else: ...``)."""

from __future__ import annotations

from typing import Any

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres(source: Any) -> bool:
    """True for a PostgreSQL project's connection (the handle, or what a transaction yields)."""
    return getattr(source, "dialect", None) == "postgresql"


def is_postgres_url(location: str) -> bool:
    """True for a ``postgresql://`` database URL (not a path to a SQLite file)."""
    return str(location).startswith(POSTGRES_SCHEMES)
