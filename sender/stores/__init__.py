"""Where the sender keeps devices, notifications, deliveries, segments, engagement and shared
work: the ``Store`` protocol and its SQLite and PostgreSQL implementations."""

from __future__ import annotations

from .migrations import POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS
from .protocol import Store
from .sqlite import SqliteStore

__all__ = [
    "POSTGRES_MIGRATIONS",
    "SQLITE_MIGRATIONS",
    "SqliteStore",
    "Store",
    "is_postgres_url",
    "open_store",
]

_POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres_url(database: str) -> bool:
    """True when ``database`` names a PostgreSQL server rather than a SQLite file."""
    return database.startswith(_POSTGRES_SCHEMES)


def open_store(database: str) -> Store:
    """The store for ``database``: a ``postgresql://`` URL, or the path of a SQLite file."""
    if is_postgres_url(database):
        # Imported here: psycopg is needed only by those who use PostgreSQL.
        from .postgres import PostgresStore

        return PostgresStore(database)
    return SqliteStore(database)
