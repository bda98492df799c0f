"""The sender's store, as earlier versions named it: see ``sender.stores``."""

from __future__ import annotations

from .stores import SQLITE_MIGRATIONS as MIGRATIONS
from .stores import SqliteStore, Store, open_store

__all__ = ["MIGRATIONS", "SqliteStore", "Store", "open_store"]
