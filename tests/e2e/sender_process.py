"""``pushsim-sender`` in its own process, for the tests that kill it (tests/e2e/test_sender_*.py)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Mapping
from pathlib import Path


async def start_sender(
    variables: Mapping[str, str], database: str, log: Path
) -> tuple[asyncio.subprocess.Process, str]:
    """Run ``python -m sender`` (the pushsim-sender entry point) configured by ``variables``
    (its port too; 0 by default) on ``database``; returns it and its URL once it listens."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sender",
        "--database",
        database,
        env={"PUSHSIM_SENDER_PORT": "0", **os.environ, **variables},
        stdout=asyncio.subprocess.PIPE,
        stderr=log.open("ab"),
    )
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 20)
    assert line.startswith(b"pushsim-sender listening on "), line + log.read_bytes()[-2000:]
    return process, line.decode().rsplit(" ", 1)[-1].strip()
