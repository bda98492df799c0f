"""``pushsim up --config FILE``: a TOML file for what the command line would otherwise say.

One frozen dataclass per ``[section]``; a field is a key. Adding a key is adding a field with a
default (its type is checked from the annotation: ``str``, ``int``, ``float``, ``bool``,
``list[str]``, ``str | None`` …); adding a section is adding a dataclass and a field of
:class:`UpConfig`. Unknown sections and keys are errors that name the file, the key and what is
allowed, so a typo never silently does nothing.

    [apps]
    ids = ["com.example.app", "com.example.other"]   # bundle ids / package names the fakes serve

    [apns]
    team_id = "ABCDE12345"    # reuse your own ids (a key is still generated for them)
    key_id = "KEY1234567"
    invalidation_delay = 0    # seconds to 410 after an uninstall's first push (default 86400)

    [fcm]
    project_id = "my-project"
    uninstall_delay = 3600    # seconds from the phone's report of an uninstall to UNREGISTERED

    [ports]
    apns = 8443

    [up]
    demo = false

    [audit]                   # how `pushsim audit` tells an outside backend has finished
    quiet_wait = 1.0

    [[hooks.webhooks]]        # where the apps post tokens and engagement (devices.WebhookTemplate)
    url = "http://127.0.0.1:8000/devices"

    [hooks.send]              # how notify() asks the backend to send (simulator.backend.SendHook)
    url = "http://127.0.0.1:8000/notify"

    [backend]                 # started per simulation with `pushsim env`'s variables
    command = "python examples/backend.py --port 8000"
    ready_url = "http://127.0.0.1:8000/health"

Command-line flags win over the file.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devices.app_server import WebhookTemplate, WebhookTemplateError
from fakeproviders.apns import ApnsOptions
from fakeproviders.fcm import FcmOptions
from simulator.backend import BackendCommand, HookError, SendHook

_APPLE_ID = re.compile(r"[A-Z0-9]{10}")


# Bundle ids and Android package names: letters, digits, "-", "_", dot-separated.
_APP_ID = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*")


def check_app_id(value: str) -> str:
    """``value`` if it is a bundle id or package name, else ValueError (the control API, the
    ``--app`` flag and ``[apps] ids`` take the same ids)."""
    if not _APP_ID.fullmatch(value):
        raise ValueError(f"{value!r} is not a bundle id or package name (like com.example.app)")
    return value


def check_port(value: int) -> int:
    """``value`` if it is a TCP port (0: a free one), else ValueError."""
    if not 0 <= value <= 65535:
        raise ValueError(f"port out of range 0-65535: {value}")
    return value


class ConfigError(Exception):
    """The configuration file cannot be read or holds a wrong key or value."""


@dataclass(frozen=True, kw_only=True)
class AppsSection:
    """``[apps]``: the apps the fakes serve."""

    ids: list[str] = field(default_factory=lambda: ["com.example.app"])
    """Bundle ids (APNs topics) and package names (FCM) the fakes accept; the first is the
    demo fleet's app."""

    def __post_init__(self) -> None:
        if not self.ids or not all(self.ids):
            raise ValueError("ids: list at least one app id, none empty")
        for app_id in self.ids:
            try:
                check_app_id(app_id)
            except ValueError as exc:
                raise ValueError(f"ids: {exc}") from None


@dataclass(frozen=True, kw_only=True)
class ApnsSection:
    """``[apns]``: the fake APNs."""

    team_id: str | None = None
    """Your own 10-character Team ID (default: one generated and kept in the state dir)."""
    key_id: str | None = None
    """Your own 10-character Key ID; pushsim generates a key with this id."""
    invalidation_delay: float | None = None
    """Seconds from the first push that reached an uninstalled iOS app to the first 410
    Unregistered (default: a day; Apple's schedule is undocumented, reference/devices.md §1.5)."""

    def __post_init__(self) -> None:
        for name in ("team_id", "key_id"):
            value = getattr(self, name)
            if value is not None and not _APPLE_ID.fullmatch(value):
                raise ValueError(f"{name}: {value!r} is not 10 uppercase letters or digits")
        if self.invalidation_delay is not None and not 0 <= self.invalidation_delay < float("inf"):
            raise ValueError(f"invalidation_delay: {self.invalidation_delay!r} is not 0 or more")


@dataclass(frozen=True, kw_only=True)
class FcmSection:
    """``[fcm]``: the fake FCM."""

    project_id: str = "pushsim-demo"
    uninstall_delay: float | None = None
    """Clock seconds from the phone's report of an uninstall to UNREGISTERED (default 0;
    undocumented)."""

    def __post_init__(self) -> None:
        if self.uninstall_delay is not None and not 0 <= self.uninstall_delay < float("inf"):
            raise ValueError(f"uninstall_delay: {self.uninstall_delay!r} is not 0 or more")


@dataclass(frozen=True, kw_only=True)
class PortsSection:
    """``[ports]``: loopback ports, 0 for a free one."""

    apns: int = 0
    """The sandbox APNs."""
    apns_production: int = 0
    """The production APNs."""
    fcm: int = 0
    sender: int = 0
    control: int = 0
    proxy: int = 0
    google_wallet: int = 0
    """The Google Wallet API."""

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            try:
                check_port(getattr(self, f.name))
            except ValueError as exc:
                raise ValueError(f"{f.name}: {exc}") from None


@dataclass(frozen=True, kw_only=True)
class UpSection:
    """``[up]``: how ``pushsim up`` runs."""

    demo: bool = True
    """Start with the demo fleet (alice and bob, an iPhone and an Android phone each)."""
    headless: bool = False
    """No terminal UI even on a terminal."""


#: The longest wait the audit accepts: a check waits several times, and a whole audit must end.
MAX_AUDIT_WAIT = 300.0


@dataclass(frozen=True, kw_only=True)
class AuditSection:
    """``[audit]``: how ``pushsim audit`` waits for a backend other than pushsim's sender, which
    cannot say when it has finished: real seconds, each more than 0 and at most 300."""

    first_push_wait: float = 2.0
    """Seconds to wait for the first push after asking the backend to send."""
    quiet_wait: float = 0.4
    """Seconds without a push after which the backend is taken to have finished sending."""
    show_wait: float = 15.0
    """Seconds to wait for a notification to be shown on its phone."""

    def __post_init__(self) -> None:
        for name in ("first_push_wait", "quiet_wait", "show_wait"):
            try:
                check_wait(getattr(self, name))
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from None


def check_wait(seconds: float) -> None:
    """ValueError unless ``seconds`` is more than 0 and at most :data:`MAX_AUDIT_WAIT`."""
    if not 0 < seconds <= MAX_AUDIT_WAIT:
        raise ValueError(f"{seconds!r} is not more than 0 and at most {MAX_AUDIT_WAIT:g} seconds")


@dataclass(frozen=True, kw_only=True)
class HooksSection:
    """``[hooks]``: the user's own backend."""

    webhooks: list[dict[str, Any]] = field(default_factory=list)
    """``[[hooks.webhooks]]`` tables: where apps post tokens and engagement
    (:meth:`devices.app_server.WebhookTemplate.from_config` checks each)."""
    send: dict[str, Any] | None = None
    """``[hooks.send]``: how ``notify`` asks the backend to send, an HTTP request template or a
    ``command`` (:class:`simulator.backend.SendHook`)."""


@dataclass(frozen=True, kw_only=True)
class BackendSection:
    """``[backend]``: the user's backend as a process started for each simulation."""

    command: list[str] | str | None = None
    """Run with the variables ``pushsim env`` prints; stopped with the simulation."""
    ready_url: str | None = None
    """Answered (any status) once the backend is ready."""
    startup_timeout: float = 30.0
    env: dict[str, Any] | None = None
    """More environment variables for the process."""
    cwd: str | None = None


@dataclass(frozen=True, kw_only=True)
class UpConfig:
    """The whole file; each field is a ``[section]``."""

    apps: AppsSection = field(default_factory=AppsSection)
    apns: ApnsSection = field(default_factory=ApnsSection)
    fcm: FcmSection = field(default_factory=FcmSection)
    ports: PortsSection = field(default_factory=PortsSection)
    up: UpSection = field(default_factory=UpSection)
    audit: AuditSection = field(default_factory=AuditSection)
    hooks: HooksSection = field(default_factory=HooksSection)
    backend: BackendSection = field(default_factory=BackendSection)
    source: str = field(default="(defaults)", compare=False)
    """The file this came from, for messages."""

    def simulation_options(self) -> dict[str, Any]:
        """Keyword arguments of :class:`simulator.Simulation` that this file sets."""
        webhooks = []
        for index, table in enumerate(self.hooks.webhooks, start=1):
            try:
                webhooks.append(WebhookTemplate.from_config(table))
            except WebhookTemplateError as exc:
                raise ConfigError(f"{self.source}: [[hooks.webhooks]] #{index}: {exc}") from None
        try:
            send = None if self.hooks.send is None else SendHook.from_config(self.hooks.send)
        except HookError as exc:
            raise ConfigError(f"{self.source}: [hooks.send]: {exc}") from None
        backend = None
        if (command := self.backend.command) is not None:
            section = self.backend
            try:
                backend = BackendCommand(
                    command=command,
                    ready_url=section.ready_url,
                    startup_timeout=section.startup_timeout,
                    env={k: str(v) for k, v in (section.env or {}).items()},
                    cwd=section.cwd,
                )
            except HookError as exc:
                raise ConfigError(f"{self.source}: [backend]: {exc}") from None
        options: dict[str, Any] = {}
        if self.apns.invalidation_delay is not None:
            options["apns_options"] = ApnsOptions(invalidation_delay=self.apns.invalidation_delay)
        if self.fcm.uninstall_delay is not None:
            options["fcm_options"] = FcmOptions(uninstall_delay=self.fcm.uninstall_delay)
        return {
            **options,
            "app_ids": tuple(self.apps.ids),
            "project_id": self.fcm.project_id,
            "team_id": self.apns.team_id,
            "key_id": self.apns.key_id,
            "webhooks": tuple(webhooks),
            "send_hook": send,
            "backend": backend,
        }


def load_config(path: str | Path) -> UpConfig:
    """Read and check ``path``; :class:`ConfigError` names the file, the key and the problem."""
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_config(raw, source=str(path))


def parse_config(raw: Mapping[str, Any], *, source: str = "(config)") -> UpConfig:
    """The configuration from parsed TOML ``raw``."""
    sections: dict[str, Any] = {}
    hints = _hints(UpConfig)
    for name, value in raw.items():
        section_type = hints.get(name)
        if name == "source" or section_type is None:
            allowed = ", ".join(f"[{n}]" for n in hints if n != "source")
            raise ConfigError(f"{source}: unknown section [{name}]; sections are {allowed}")
        if not isinstance(value, Mapping):
            raise ConfigError(f"{source}: {name} must be a [{name}] table")
        sections[name] = _section(section_type, value, name, source)
    config = UpConfig(**sections, source=source)
    config.simulation_options()  # check the hooks now, not when the simulation starts
    return config


def _section(cls: type, values: Mapping[str, Any], name: str, source: str) -> Any:
    hints = _hints(cls)
    checked: dict[str, Any] = {}
    for key, value in values.items():
        if key not in hints:
            allowed = ", ".join(hints) or "none"
            raise ConfigError(f"{source}: unknown key [{name}] {key}; keys are {allowed}")
        if not _matches(value, hints[key]):
            raise ConfigError(
                f"{source}: [{name}] {key}: expected {_describe(hints[key])}, "
                f"got {type(value).__name__} {value!r}"
            )
        checked[key] = value
    try:
        return cls(**checked)
    except ValueError as exc:
        raise ConfigError(f"{source}: [{name}] {exc}") from None


def _hints(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def _matches(value: Any, hint: Any) -> bool:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, arg) for arg in args)
    if hint is type(None):
        return value is None
    if hint is Any:
        return True
    if origin is list:
        return isinstance(value, list) and all(_matches(item, args[0]) for item in value)
    if origin is dict:
        return isinstance(value, Mapping) and all(isinstance(k, str) for k in value)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint)


def _describe(hint: Any) -> str:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in args if a is not type(None))
    if origin is list:
        return f"a list of {_describe(args[0])}"
    if origin is dict:
        return "a table"
    names = {str: "text", int: "an integer", float: "a number", bool: "true or false"}
    return names.get(hint, getattr(hint, "__name__", str(hint)))
