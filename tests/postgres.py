"""A real PostgreSQL server for the tests, started from the installed server binaries.

pytest-postgresql's executor runs ``pg_ctl`` (initdb, start, stop) and its janitor makes a fresh
database per test; this module only chooses where. PostgreSQL refuses to run as root (initdb and
pg_ctl exit at once), and CI runs as root: then the server runs as the ``postgres`` user that
Debian's package creates, through a two-line ``runuser`` wrapper around ``pg_ctl``, in a
directory that user owns. The server runs with ``fsync=off``: the tests kill senders, never the
database, whose own durability is PostgreSQL's business.

``pg_ctl`` detaches the server, so a test run killed mid-way (kill -9, a CI timeout) would leave
it running with its folder. A watchdog in its own session holds the read end of a pipe whose
only writer is the test process: when that process is gone, however it went, the read ends and
the watchdog stops the server and deletes the folder. After a normal run it is just killed.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import port_for
import pytest
from pytest_postgresql.executors.proc import PostgreSQLExecutor
from pytest_postgresql.janitor import DatabaseJanitor

SUPERUSER = "pushsim"
_databases = itertools.count(1)


def find_pg_ctl() -> str | None:
    """``pg_ctl`` on PATH, or the newest one Debian installed under /usr/lib/postgresql."""
    found = shutil.which("pg_ctl")
    if found:
        return found
    candidates = glob.glob("/usr/lib/postgresql/*/bin/pg_ctl")
    return max(candidates, key=lambda p: int(Path(p).parts[-3]), default=None)


def _as_server_user(pg_ctl: str, folder: Path) -> str:
    """The ``pg_ctl`` to run: itself, or as root a wrapper that runs it as ``postgres``."""
    if os.geteuid() != 0:
        return pg_ctl
    try:
        user = pwd.getpwnam("postgres")
    except KeyError:
        pytest.fail("running as root, and there is no 'postgres' user to run PostgreSQL as")
    os.chown(folder, user.pw_uid, user.pw_gid)
    wrapper = folder / "pg_ctl"
    # cd /: the server user may not be allowed into the test's working directory.
    wrapper.write_text(f'#!/bin/sh\ncd /\nexec runuser -u postgres -- "{pg_ctl}" "$@"\n')
    wrapper.chmod(stat.S_IRWXU)
    return str(wrapper)


@contextmanager
def running_server() -> Iterator[PostgreSQLExecutor]:
    """Start a throwaway PostgreSQL on a free loopback port; stop and delete it afterwards."""
    pg_ctl = find_pg_ctl()
    if pg_ctl is None:
        message = "PostgreSQL's server is not installed (apt-get install postgresql)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    folder = Path(tempfile.mkdtemp(prefix="pushsim-pg-"))
    executor = PostgreSQLExecutor(
        executable=_as_server_user(pg_ctl, folder),
        host="127.0.0.1",
        port=port_for.select_random(),
        datadir=str(folder / "data"),
        unixsocketdir=str(folder),
        logfile=str(folder / "server.log"),
        startparams="-w",
        dbname="pushsim",
        user=SUPERUSER,
        postgres_options="-c fsync=off -c synchronous_commit=off -c full_page_writes=off",
    )
    watchdog = None
    try:
        executor.start()
        watchdog = _stop_when_orphaned(executor.executable, Path(executor.datadir), folder)
        yield executor
    finally:
        if watchdog is not None:
            watchdog.kill()
            watchdog.wait()
        if executor.running():
            executor.stop()
        shutil.rmtree(folder, ignore_errors=True)


def _stop_when_orphaned(pg_ctl: str, datadir: Path, folder: Path) -> subprocess.Popen[bytes]:
    """A process that, once this one is gone, stops the server and deletes its folder.

    Its stdin is a pipe whose write end only this process holds (subprocess opens it
    non-inheritable); the kernel closes it when this process ends, kill -9 included. Its own
    session keeps it out of a Ctrl-C or a kill sent to this process's group."""
    # ``read`` is a shell builtin: until the end, the watchdog is this one process.
    script = 'read -r _; "$0" stop -D "$1" -m immediate >/dev/null 2>&1; rm -rf "$2"'
    return subprocess.Popen(
        ["sh", "-c", script, pg_ctl, str(datadir), str(folder)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


@contextmanager
def fresh_database(server: PostgreSQLExecutor) -> Iterator[str]:
    """A new empty database on ``server``, dropped afterwards; yields its URL."""
    name = f"pushsim_{os.getpid()}_{next(_databases)}"
    with DatabaseJanitor(
        user=server.user,
        host=server.host,
        port=server.port,
        dbname=name,
        maintenance_dbname="postgres",
    ):
        yield f"postgresql://{server.user}@{server.host}:{server.port}/{name}"
