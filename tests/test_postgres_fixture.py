"""The tests' PostgreSQL (tests/postgres.py) does not outlive a test run that is killed."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.postgres import find_pg_ctl

# Runs the fixture's server in a process of its own, says where it is, then waits to be killed.
_HOLDER = """
import sys
from tests.postgres import running_server
with running_server() as server:
    print(server.datadir, flush=True)
    sys.stdin.read()
"""


def _wait_exit(pid: int, timeout: float) -> bool:
    """Whether process ``pid`` (not our child) ended within ``timeout`` seconds."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        return bool(select.select([fd], [], [], timeout)[0])
    finally:
        os.close(fd)


def test_a_killed_test_run_leaves_no_postgresql_server() -> None:
    """kill -9 of the process that started the server: the server stops and its folder goes."""
    if find_pg_ctl() is None:
        pytest.skip("PostgreSQL's server is not installed (apt-get install postgresql)")
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=Path(__file__).parent.parent,
    )
    try:
        assert holder.stdout is not None
        datadir = Path(holder.stdout.readline().decode().strip())
        postmaster = int((datadir / "postmaster.pid").read_text().split()[0])
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert _wait_exit(postmaster, 30.0), "the server outlived the killed test run"
    watchdogs = [p for p in Path("/proc").glob("[0-9]*") if _is_watchdog(p, datadir)]
    for watchdog in watchdogs:
        assert _wait_exit(int(watchdog.name), 30.0)
    assert not datadir.parent.exists(), "the server's folder was left behind"


def _is_watchdog(proc: Path, datadir: Path) -> bool:
    try:
        return str(datadir).encode() in (proc / "cmdline").read_bytes()
    except OSError:
        return False
