"""``pushsim-sender`` processes for the campaign bench, configured as ``pushsim env`` would, and
throwaway PostgreSQL databases for them to share."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import urllib.parse
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import psycopg
from psycopg import sql

from simulator.bench.processes import child_processes
from simulator.simulation import Simulation

API_KEY = "bench-api-key"
APP_KEY = "bench-app-key"


def _environment(sim: Simulation, database: str) -> dict[str, str]:
    endpoints = sim.endpoints
    return {
        **os.environ,
        "APNS_URL": sim.apns.url,
        "APNS_ENVIRONMENT": "sandbox",
        "APNS_TEAM_ID": endpoints["apns"]["team_id"],
        "APNS_KEY_ID": endpoints["apns"]["key_id"],
        "APNS_KEY_PATH": endpoints["apns"]["key_path"],
        "FCM_URL": sim.fcm.url,
        "GOOGLE_APPLICATION_CREDENTIALS": endpoints["fcm"]["service_account_path"],
        "PUSHSIM_SENDER_CA_FILE": endpoints["ca_cert"],
        "PUSHSIM_SENDER_API_KEY": API_KEY,
        "PUSHSIM_SENDER_APP_KEY": APP_KEY,
        "PUSHSIM_SENDER_PORT": "0",
        "PUSHSIM_SENDER_LOG_LEVEL": "WARNING",
        "PUSHSIM_SENDER_DATABASE": database,
        # Idle instances look for work often, so the second joins a campaign at once.
        "PUSHSIM_SENDER_POLL_INTERVAL": "0.05",
    }


@contextlib.asynccontextmanager
async def sender_processes(sim: Simulation, database: str, count: int) -> AsyncIterator[list[str]]:
    """Run ``count`` ``pushsim-sender`` processes on ``database``; yields their URLs."""
    async with child_processes(timeout=30) as start:
        urls = []
        for _ in range(count):
            line = await start(sys.executable, "-m", "sender", env=_environment(sim, database))
            if b"listening on" not in line:
                raise RuntimeError(f"pushsim-sender did not start: {line!r}")
            urls.append(line.decode().rsplit(" ", 1)[1].strip())
        yield urls


@contextlib.asynccontextmanager
async def sqlite_database() -> AsyncIterator[str]:
    """A SQLite file in a temporary folder, deleted afterwards."""
    with tempfile.TemporaryDirectory(prefix="pushsim-sender-") as folder:
        yield str(Path(folder) / "sender.sqlite3")


@contextlib.asynccontextmanager
async def postgres_database(server: str) -> AsyncIterator[str]:
    """A new database on the PostgreSQL server at ``server`` (any database's URL, with the right
    to create databases), dropped afterwards; yields its URL."""
    name = f"pushsim_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urllib.parse.urlunsplit(urllib.parse.urlsplit(server)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
