"""Child processes of a benchmark that announce themselves on their first line of output."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

Start = Callable[..., Awaitable[bytes]]
"""``await start(*argv, env=None)``: run ``argv``; its first line of output, once it is ready."""


@contextlib.asynccontextmanager
async def child_processes(timeout: float = 60) -> AsyncIterator[Start]:
    """Yields ``start``; every process it started is terminated (and awaited) at the end."""
    processes: list[asyncio.subprocess.Process] = []

    async def start(*argv: str, env: dict[str, str] | None = None) -> bytes:
        process = await asyncio.create_subprocess_exec(
            *argv, env=env, stdout=asyncio.subprocess.PIPE
        )
        processes.append(process)
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), timeout)
        if not line:
            raise RuntimeError(f"{' '.join(argv)} ended before saying it was ready")
        return line

    try:
        yield start
    finally:
        for process in processes:
            if process.returncode is None:
                process.terminate()
        for process in processes:
            await process.wait()
