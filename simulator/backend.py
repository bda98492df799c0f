"""The user's own backend, wired in without code: the send hook and the backend process.

- :class:`SendHook` is how the harness asks the backend to notify a user, a list of users, a topic
  or everyone: an HTTP request template, or a command line. ``sim.notify(...)`` goes through it
  instead of pushsim's sender.
- :class:`BackendCommand` starts the backend for each simulation, with the same environment
  ``pushsim env`` prints (the fakes' URLs, keys and CA), and stops it afterwards; so every
  scenario or audit meets a fresh backend on the fakes' ephemeral ports.

Where the simulated apps post their tokens and engagement is the third hook,
:class:`devices.app_server.WebhookTemplate` (``Simulation(webhooks=...)``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import shlex
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from devices.app_server import METHODS, Templates, WebhookTemplateError

#: Fields of a notification a template may use as ``{name}`` (``sim.notify``'s arguments).
FIELDS = (
    "notification_id",
    "target",
    "user_id",
    "user_ids",
    "topic",
    "condition",
    "everyone",
    "title",
    "body",
    "kind",
    "data",
    "collapse_key",
    "ttl",
    "priority",
    "badge",
    "sound",
    "notification",
)
"""``target`` is ``user``, ``users``, ``topic``, ``condition`` or ``everyone``; ``notification``
the whole request as one JSON object (the default body); ``data`` always holds the
``notification_id``, so a backend that forwards ``data`` into its pushes lets pushsim follow each
notification from the request to the phone."""


class HookError(Exception):
    """A hook is malformed, or the backend refused or failed a request."""


@dataclass(frozen=True, kw_only=True)
class SendHook:
    """How to ask the backend to send: ``url`` (+ ``method``, ``body``, ``headers``) or
    ``command`` (an argv list, or one string split like a shell would, never run by a shell).

    Strings may hold ``{name}`` placeholders from :data:`FIELDS`; a string that is exactly one
    placeholder becomes the raw JSON value. A command also gets the whole notification as JSON on
    its standard input. The backend accepts with a 2xx answer or exit status 0.
    """

    url: str | None = None
    method: str = "POST"
    body: Any = "{notification}"
    headers: Mapping[str, str] = field(default_factory=dict)
    command: Sequence[str] | str | None = None
    timeout: float = 30.0

    def __post_init__(self) -> None:
        if (self.url is None) == (self.command is None):
            raise HookError("send hook: give either url or command")
        if str(self.method).upper() not in METHODS:
            raise HookError(f"send hook: method {self.method!r}: use one of {', '.join(METHODS)}")
        if self.command is not None:
            object.__setattr__(self, "command", _argv(self.command, "send hook"))
        if not isinstance(self.headers, Mapping):
            raise HookError("send hook: headers: must be an object of name → text")
        _check_seconds(self.timeout, "send hook: timeout")
        try:
            for where, value in self._strings():
                _TEMPLATES.check_text(value, where)
            _TEMPLATES.check_json(self.body, "body")
        except WebhookTemplateError as exc:
            raise HookError(f"send hook: {exc}") from None
        if self.url is not None:
            probe = httpx.URL(_TEMPLATES.render_text(self.url, _TEMPLATES.probe(), quote=True))
            if probe.scheme not in ("http", "https") or not probe.host:
                raise HookError(f"send hook: url {self.url!r} needs http:// or https:// and a host")

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SendHook:
        """From a parsed TOML/JSON table: ``url``, ``method``, ``body``, ``headers``,
        ``command``, ``timeout``."""
        allowed = {"url", "method", "body", "headers", "command", "timeout"}
        extra = sorted(set(config) - allowed)
        if extra:
            raise HookError(f"send hook: unknown keys {extra}: use {', '.join(sorted(allowed))}")
        try:
            return cls(**config)
        except TypeError as exc:
            raise HookError(f"send hook: {exc}") from None

    async def send(self, notification: Mapping[str, Any], client: httpx.AsyncClient) -> None:
        """Ask the backend to send ``notification``; :class:`HookError` if it refuses."""
        values = {name: notification.get(name) for name in FIELDS}
        values["notification"] = dict(notification)
        if self.command is not None:
            await self._run(values)
            return
        assert self.url is not None
        headers = {k: _TEMPLATES.render_text(v, values) for k, v in self.headers.items()}
        try:
            response = await client.request(
                self.method.upper(),
                _TEMPLATES.render_text(self.url, values, quote=True),
                json=_TEMPLATES.render(self.body, values),
                headers=headers,
                timeout=self.timeout,
            )
        except httpx.HTTPError as exc:
            raise HookError(f"send hook: {type(exc).__name__}: {exc}") from None
        if not response.is_success:
            raise HookError(f"send hook: HTTP {response.status_code}: {response.text[:500]}")

    async def _run(self, values: Mapping[str, Any]) -> None:
        argv = [_TEMPLATES.render_text(arg, values) for arg in self.command or ()]
        try:
            process = await asyncio.create_subprocess_exec(
                *argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        except OSError as exc:
            raise HookError(f"send hook: cannot run {argv[0]!r}: {exc}") from None
        stdin = json.dumps(values["notification"]).encode()
        try:
            _, err = await asyncio.wait_for(process.communicate(stdin), self.timeout)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise HookError(f"send hook: {argv[0]} did not finish in {self.timeout} s") from None
        if process.returncode != 0:
            text = err.decode(errors="replace").strip()[-500:]
            raise HookError(f"send hook: {argv[0]} exited {process.returncode}: {text}")

    def _strings(self) -> list[tuple[str, Any]]:
        found: list[tuple[str, Any]] = [] if self.url is None else [("url", self.url)]
        found += [(f"headers[{k}]", v) for k, v in self.headers.items()]
        return found + [(f"command[{i}]", a) for i, a in enumerate(self.command or ())]


@dataclass(frozen=True, kw_only=True)
class BackendCommand:
    """The backend as a process started per simulation: ``command`` (argv or a string split
    like a shell would) with the fakes' environment, ready once ``ready_url`` answers."""

    command: Sequence[str] | str
    ready_url: str | None = None
    startup_timeout: float = 30.0
    env: Mapping[str, str] = field(default_factory=dict)
    """More variables for the process (over ``pushsim env``'s)."""
    cwd: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "command", _argv(self.command, "backend"))
        _check_seconds(self.startup_timeout, "backend: startup_timeout")

    async def start(self, environment: Mapping[str, str]) -> asyncio.subprocess.Process:
        """Start the process and wait until ``ready_url`` answers (any HTTP status)."""
        env = {**os.environ, **environment, **self.env}
        try:
            process = await asyncio.create_subprocess_exec(
                *self.command, env=env, cwd=self.cwd, stdin=subprocess.DEVNULL
            )
        except OSError as exc:
            raise HookError(f"backend: cannot run {self.command[0]!r}: {exc}") from None
        try:
            await self._wait_ready(process)
        except BaseException:
            await stop_process(process)
            raise
        return process

    async def _wait_ready(self, process: asyncio.subprocess.Process) -> None:
        if self.ready_url is None:
            return
        deadline = time.monotonic() + self.startup_timeout
        async with httpx.AsyncClient(timeout=2.0) as client:
            while True:
                if process.returncode is not None:
                    raise HookError(f"backend: {self.command[0]} exited {process.returncode}")
                with contextlib.suppress(httpx.TransportError):
                    await client.get(self.ready_url)
                    return
                if time.monotonic() > deadline:
                    raise HookError(
                        f"backend: {self.ready_url} did not answer within {self.startup_timeout} s"
                    )
                # A process has no readiness event to wait on; connection attempts are spaced.
                await asyncio.sleep(0.05)


async def stop_process(process: asyncio.subprocess.Process) -> None:
    """SIGTERM, then SIGKILL after 10 s."""
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()
            await process.wait()


def _argv(command: Sequence[str] | str, owner: str) -> Sequence[str]:
    """A command as given: a string is split like a shell would (never run by one)."""
    if isinstance(command, str):
        try:
            command = tuple(shlex.split(command))
        except ValueError as exc:  # an unclosed quote
            raise HookError(f"{owner}: command {command!r}: {exc}") from None
    if not command:
        raise HookError(f"{owner}: command is empty")
    return command


def _check_seconds(value: Any, where: str) -> None:
    """A timeout is a number of seconds above 0 and finite (a string or -1 would only fail, or
    never end, at the first send)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < math.inf:
        raise HookError(f"{where}: {value!r} is not a number of seconds above 0")


# -- templates --------------------------------------------------------------------------------


def _as_text(value: Any) -> str:
    """A value inside a longer string: text as is, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


_TEMPLATES = Templates(FIELDS, _as_text)
