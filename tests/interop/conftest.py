"""Shared fixtures for the interop tests that use pushsim the way an outside sender would.

``sim`` is a running :class:`Simulation`; ``pushsim_env`` is what ``pushsim env`` prints for it
(``HTTPS_PROXY``, the trust bundle, the APNs key, the service account…), parsed from the real
``export`` lines; ``node_interop`` installs the Node clients of ``tests/interop/node`` once per
session; ``run_node`` runs one of its driver scripts without blocking the event loop the fakes
serve in.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from fakeproviders.apns import ApnsOptions
from fakeproviders.ca import LocalCA
from fakeproviders.clock import WallClock
from fakeproviders.fcm import FakeFcm, FcmOptions, ServiceAccount
from simulator.simulation import Simulation
from simulator.up import export_lines, write_trust_bundle

NODE_DIR = Path(__file__).parent / "node"
NODE_TIMEOUT = 30.0
NPM_TIMEOUT = 300.0
#: Written into node_modules after a successful ``npm ci``: the lockfile it installed.
_STAMP = ".pushsim-lock-sha256"
#: Proxy variables a developer's shell may carry; the tests set their own.
_PROXY_VARIABLES = ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")

RunNode = Callable[..., Awaitable[Any]]


@pytest.fixture
async def sim(state_dir: Path) -> AsyncIterator[Simulation]:
    """A running simulation whose fakes answer 410 / UNREGISTERED as soon as an app is
    uninstalled, so the error path needs no first delivery (the wire is under test here, not
    Apple's or Google's deferral)."""
    async with Simulation(
        state_dir=state_dir,
        apns_options=ApnsOptions(uninstall_invalidation="immediate"),
        fcm_options=FcmOptions(uninstall_invalidation="immediate"),
    ) as running:
        yield running


@pytest.fixture
def pushsim_env(sim: Simulation) -> dict[str, str]:
    """The variables ``pushsim env`` exports for ``sim``, read back from its ``export`` lines."""
    endpoints = {
        **sim.endpoints,
        "trust_bundle": str(write_trust_bundle(sim.state_dir, Path(sim.ca.cert_path))),
    }
    values: dict[str, str] = {}
    for line in export_lines(endpoints):
        keyword, assignment = shlex.split(line)
        assert keyword == "export"
        name, _, value = assignment.partition("=")
        values[name] = value
    return values


@pytest.fixture
def use_pushsim_env(
    pushsim_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    """This process's environment as after ``eval "$(pushsim env)"`` (undone after the test)."""
    for name in _PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in pushsim_env.items():
        monkeypatch.setenv(name, value)
    yield pushsim_env


def _lock_digest() -> str:
    return hashlib.sha256((NODE_DIR / "package-lock.json").read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def node_interop() -> Path:
    """``tests/interop/node`` with its ``node_modules`` installed from the committed lockfile.

    ``npm ci`` runs only when ``node_modules`` was not installed from this very lockfile; a file
    lock keeps parallel workers (xdist) from installing at the same time.
    """
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.fail(
            "the Node interop tests need `node` (v20+) and `npm` on PATH "
            "(Debian: apt-get install nodejs npm)"
        )
    stamp = NODE_DIR / "node_modules" / _STAMP
    digest = _lock_digest()
    lock_path = (
        Path(tempfile.gettempdir())
        / f"pushsim-npm-{hashlib.sha256(bytes(NODE_DIR)).hexdigest()[:12]}.lock"
    )
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.is_file() and stamp.read_text().strip() == digest:
            return NODE_DIR
        command = [npm, "ci", "--omit=optional", "--ignore-scripts", "--no-audit", "--no-fund"]
        try:
            done = subprocess.run(
                command,
                cwd=NODE_DIR,
                capture_output=True,
                text=True,
                timeout=NPM_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            pytest.fail(f"`{' '.join(command)}` in {NODE_DIR} took over {NPM_TIMEOUT:.0f} s")
        if done.returncode != 0:
            pytest.fail(
                f"`{' '.join(command)}` in {NODE_DIR} failed ({done.returncode}):\n"
                f"{done.stdout}\n{done.stderr}"
            )
        stamp.write_text(digest + "\n")
    return NODE_DIR


@pytest.fixture
def run_node(node_interop: Path, pushsim_env: dict[str, str]) -> RunNode:
    """``await run_node(script, *args, h2_preload=False, env=None)``: run a driver script with
    ``node`` in the environment ``pushsim env`` prints, and return the JSON it prints last.
    ``h2_preload``: ``node --import "$PUSHSIM_NODE_H2_PRELOAD"``, the shipped HTTP/2 preload."""

    async def run(
        script: str,
        *args: str,
        h2_preload: bool = False,
        env: dict[str, str] | None = None,
    ) -> Any:
        node = shutil.which("node")
        assert node is not None
        environment = {k: v for k, v in os.environ.items() if k not in _PROXY_VARIABLES}
        environment.update(pushsim_env)
        environment.update(env or {})
        preload = ["--import", environment["PUSHSIM_NODE_H2_PRELOAD"]] if h2_preload else []
        command = [node, *preload, script, *args]
        process = await asyncio.create_subprocess_exec(
            *command,
            cwd=node_interop,
            env=environment,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            out, err = await asyncio.wait_for(process.communicate(), NODE_TIMEOUT)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise AssertionError(
                f"{' '.join(command)} did not finish in {NODE_TIMEOUT} s"
            ) from None
        assert process.returncode == 0, (
            f"{' '.join(command)} exited {process.returncode}:\n{out.decode()}\n{err.decode()}"
        )
        lines = out.decode().strip().splitlines()
        assert lines, f"{script} printed nothing; stderr:\n{err.decode()}"
        return json.loads(lines[-1])

    return run


@pytest.fixture(scope="module")
def account(request: pytest.FixtureRequest) -> ServiceAccount:
    """A service account of the test module's ``PROJECT``."""
    return ServiceAccount.generate(request.module.PROJECT)


@pytest.fixture
async def fcm(ca: LocalCA, account: ServiceAccount) -> AsyncIterator[FakeFcm]:
    """A fake FCM alone (no simulation) on the wall clock, for the module's ``PROJECT``; an
    uninstall is UNREGISTERED at once, as in ``sim``."""
    server = FakeFcm(
        clock=WallClock(),
        ssl_context=ca.server_ssl_context(alpn=("h2", "http/1.1")),
        project_id=account.project_id,
        service_account=account,
        options=FcmOptions(uninstall_invalidation="immediate"),
    )
    await server.start()
    yield server
    await server.stop()
