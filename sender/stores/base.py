"""What ``SqlStore``'s parts share: a transaction's interface, the engine's few differences, and
rows to records."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, ClassVar, Protocol

from ..models import Device, Notification, NotificationRequest, Segment

# SQLite allows 999 host parameters in old builds: stay well below for IN (...) lists.
_CHUNK = 500


class Tx(Protocol):
    """One open transaction: ``?`` placeholders, rows as dicts."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; the number of rows it changed."""
        ...

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]: ...


class SqlBase:
    """The engine's differences, which each engine's subclass sets, and its transactions."""

    NOW: ClassVar[str]
    """SQL for the database's clock in epoch seconds."""
    LOCK: ClassVar[str] = ""
    """Appended to a claim's SELECT: lock the rows, skip those another transaction holds."""
    BAD_KEY: ClassVar[tuple[type[Exception], ...]] = (UnicodeEncodeError,)
    """Errors a lookup key no row can hold raises (a lone surrogate, a NUL)."""

    def _tx(self, write: bool = True) -> AbstractContextManager[Tx]:
        raise NotImplementedError

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        try:
            with self._tx(write=False) as tx:
                return tx.query(sql, params)
        except self.BAD_KEY:
            return []  # a key no row can have matches nothing

    def _write(self, sql: str, params: Sequence[Any]) -> int:
        with self._tx() as tx:
            return tx.execute(sql, params)


def chunks(values: list[str]) -> Iterator[list[str]]:
    """``values`` in slices short enough for an ``IN (...)`` list."""
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def with_outcome(tx: Tx, notification_id: str, tokens: list[str]) -> set[str]:
    """Which of ``tokens`` already have an outcome for the notification."""
    done: set[str] = set()
    for chunk in chunks(tokens):
        marks = ", ".join("?" * len(chunk))
        done.update(
            row["token"]
            for row in tx.query(
                f"SELECT token FROM deliveries WHERE notification_id = ? AND token IN ({marks})",
                (notification_id, *chunk),
            )
        )
    return done


def device_of(row: dict[str, Any]) -> Device:
    return Device(
        token=row["token"],
        platform=row["platform"],
        app_id=row["app_id"],
        user_id=row["user_id"],
        registered_at=row["registered_at"],
        active=bool(row["active"]),
        installation_id=row["installation_id"],
        inactive_reason=row["inactive_reason"],
    )


def segment_of(row: dict[str, Any]) -> Segment:
    return Segment(name=row["name"], **json.loads(row["definition"]))


def notification_of(row: dict[str, Any]) -> Notification:
    return Notification(
        id=row["id"],
        request=NotificationRequest.from_json(json.loads(row["request"])),
        status=row["status"],
        created_at=row["created_at"],
    )
