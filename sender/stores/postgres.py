"""``PostgresStore``: the sender's state in PostgreSQL, shared by several sender instances.

Selected by a ``postgresql://`` database URL. Connections come from a psycopg pool; each method
is one transaction, committed before it returns. Claims lock their rows with ``FOR UPDATE SKIP
LOCKED``, so instances claiming at the same moment get different work, and leases are judged on
the server's clock. Migrations run under an advisory lock, so instances starting together apply
each one once.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from ..errors import SenderError
from .migrations import POSTGRES_MIGRATIONS
from .sql import SqlStore

# pg_advisory_xact_lock key for migrations: any constant that other applications do not use.
_MIGRATION_LOCK = 0x70757368  # "push"
_CARD_TAG_LOCK = 0x63617264  # "card"


@functools.lru_cache(maxsize=256)
def _pg(sql: str) -> str:
    """The statement with psycopg's placeholders (the shared SQL holds no literal ? or %)."""
    return sql.replace("?", "%s")


class _PostgresTx:
    def __init__(self, conn: psycopg.Connection[dict[str, Any]]) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._conn.execute(_pg(sql), tuple(params)).rowcount

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with self._conn.cursor() as cursor:
            cursor.executemany(_pg(sql), [tuple(row) for row in rows])

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return self._conn.execute(_pg(sql), tuple(params)).fetchall()


class PostgresStore(SqlStore):
    """``Store`` on a PostgreSQL database, for one sender instance or several."""

    NOW = "extract(epoch FROM clock_timestamp())::double precision"
    LOCK = " FOR UPDATE SKIP LOCKED"
    # Card update tags in commit order across instances (stores/cards.py).
    CARD_TAG_LOCK = f"SELECT pg_advisory_xact_lock({_CARD_TAG_LOCK})"
    # psycopg refuses a NUL in a text parameter before it reaches the server.
    BAD_KEY = (UnicodeEncodeError, psycopg.DataError)

    def __init__(self, url: str, *, max_connections: int = 4, timeout: float = 10.0) -> None:
        """Connect to ``url`` (``postgresql://user@host:port/db``) and migrate the schema.

        Raises ``SenderError`` when the server cannot be reached within ``timeout`` seconds."""
        self._pool: ConnectionPool[psycopg.Connection[dict[str, Any]]] = ConnectionPool(
            url,
            min_size=1,
            max_size=max_connections,
            kwargs={"row_factory": dict_row},
            timeout=timeout,
            open=False,
        )
        try:
            self._pool.open(wait=True, timeout=timeout)
        except psycopg.Error as exc:  # PoolTimeout is one
            self._pool.close()
            raise SenderError(f"cannot connect to PostgreSQL: {exc}") from exc
        self._migrate()

    @property
    def schema_version(self) -> int:
        """The number of migrations applied to this database."""
        with self._tx(write=False) as tx:
            return int(tx.query("SELECT max(version) AS v FROM schema_version")[0]["v"] or 0)

    def _migrate(self) -> None:
        with self._tx() as tx:
            tx.execute(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
            tx.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = tx.query("SELECT max(version) AS v FROM schema_version")[0]
            current = int(row["v"] or 0)
            for version, script in enumerate(POSTGRES_MIGRATIONS[current:], current + 1):
                for statement in filter(str.strip, script.split(";")):
                    tx.execute(statement)
                tx.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))

    @contextmanager
    def _tx(self, write: bool = True) -> Iterator[_PostgresTx]:
        # The pool's context commits on success and rolls back on an exception, reads included.
        with self._pool.connection() as conn:
            yield _PostgresTx(conn)

    def close(self) -> None:
        self._pool.close()
