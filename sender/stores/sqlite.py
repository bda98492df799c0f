"""``SqliteStore``: the sender's embedded default, one SQLite file in WAL mode.

One sender process per file: claims left in the file belong to a previous run of that process
(it was killed, or stopped), so opening the store releases them and a restart resumes at once.
Several instances sharing work need ``PostgresStore``.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import SenderError
from .migrations import SQLITE_MIGRATIONS
from .sql import SqlStore


class _SqliteTx:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._db.execute(sql, tuple(params)).rowcount

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self._db.executemany(sql, rows)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return self._db.execute(sql, tuple(params)).fetchall()


def _dict_row(cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> dict[str, Any]:
    return {column[0]: value for column, value in zip(cursor.description, row, strict=True)}


class StoreUnavailable(SenderError):
    """The database cannot be used; the message names the path and what to do."""


def sqlite_problem(path: str | Path) -> str | None:
    """Why the SQLite database at ``path`` cannot be used, or None; creates nothing.

    A missing directory, a file or directory the sender may not write, and a file another
    process holds locked are each told apart, with the way out."""
    if str(path) == ":memory:":
        return None
    file = Path(path)
    folder = file.parent
    if not folder.is_dir():
        return f"the database directory {folder} does not exist: create it, or choose another path"
    if not file.exists():
        if not os.access(folder, os.W_OK):
            return f"cannot create {file}: {folder} is not writable by this user"
        return None
    if not os.access(file, os.R_OK | os.W_OK):
        return f"{file} is read-only for this user: make it writable, or choose another path"
    try:
        db = sqlite3.connect(f"{file.resolve().as_uri()}?mode=rw", uri=True, timeout=0.5)
        try:
            db.execute("BEGIN IMMEDIATE")
            db.execute("ROLLBACK")
        finally:
            db.close()
    except sqlite3.OperationalError as exc:
        return _explained(file, exc)
    return None


def _explained(file: Path, exc: sqlite3.Error) -> str:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return (
            f"{file} is locked by another process (another pushsim-sender?): stop it, or give "
            "this one its own database (instances share work only on PostgreSQL)"
        )
    if "readonly" in text or "read-only" in text:
        return f"{file} is read-only: make it (and its directory) writable, or choose another path"
    return f"cannot use {file}: {text}"


class SqliteStore(SqlStore):
    """``Store`` on one SQLite file in WAL mode; ``":memory:"`` works for throwaway use."""

    NOW = "((julianday('now') - 2440587.5) * 86400.0)"

    def __init__(self, path: str | Path) -> None:
        """Open (or create) the database; :class:`StoreUnavailable` at once if it cannot be used."""
        problem = sqlite_problem(path)
        if problem is not None:
            raise StoreUnavailable(problem)
        self._lock = threading.Lock()
        # One connection, guarded by a lock: the service runs on one event loop, but uvicorn or
        # a test may touch the store from another thread.
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        try:
            self._db.row_factory = _dict_row
            self._db.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode: a commit survives the process being killed (not a power cut).
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._migrate()
            with self._tx() as tx:
                self._release(tx, "owner IS NOT NULL", ())
        except sqlite3.OperationalError as exc:
            self._db.close()
            raise StoreUnavailable(_explained(Path(path), exc)) from exc

    @property
    def schema_version(self) -> int:
        """The number of migrations applied to this file."""
        with self._lock:
            return self._version()

    @property
    def journal_mode(self) -> str:
        with self._lock:
            return str(self._db.execute("PRAGMA journal_mode").fetchone()["journal_mode"])

    def _version(self) -> int:
        row = self._db.execute("SELECT max(version) AS v FROM schema_version").fetchone()
        return int(row["v"] or 0)

    def _migrate(self) -> None:
        with self._tx():
            self._db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            current = self._version()
            for version, script in enumerate(SQLITE_MIGRATIONS[current:], current + 1):
                for statement in filter(str.strip, script.split(";")):
                    self._db.execute(statement)
                self._db.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))

    @contextmanager
    def _tx(self, write: bool = True) -> Iterator[_SqliteTx]:
        with self._lock:
            if not write:
                yield _SqliteTx(self._db)
                return
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield _SqliteTx(self._db)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()
