"""What apps say to their app server, and the sans-IO part of the generic webhook adapter.

The phone only produces these messages; how they travel (the sender's API by default, or a user's
own backend through a :class:`WebhookTemplate`) is an adapter: the HTTP side lives in ``simulator``.
"""

from __future__ import annotations

import string
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from devices.errors import DeviceError


@dataclass(frozen=True, kw_only=True, slots=True)
class TokenReport:
    """The app posts its current push token (``POST /v1/devices`` on the sender)."""

    phone_id: str
    app_id: str
    user_id: str
    platform: str
    token: str


@dataclass(frozen=True, kw_only=True, slots=True)
class EngagementReport:
    """The app reports what the user did with a notification (``POST /v1/events``)."""

    phone_id: str
    app_id: str
    token: str
    notification_id: str
    event: str
    """``"received"``, ``"opened"`` or ``"dismissed"``."""
    user_id: str | None = None
    platform: str = ""


AppServerMessage = TokenReport | EngagementReport

#: Where a phone's apps send their messages.
AppServerLink = Callable[[AppServerMessage], None]


def drop_message(message: AppServerMessage) -> None:
    """The default link: the app has no server."""


# -- the webhook adapter ----------------------------------------------------------------------

#: Names a template may use, as ``{name}``.
PLACEHOLDERS = ("token", "user_id", "platform", "app_id", "phone_id", "notification_id", "event")
#: Message kinds a template may handle: the token report is ``"token"``.
EVENTS = ("token", "received", "opened", "dismissed")
METHODS = ("POST", "PUT", "PATCH", "DELETE", "GET")

DEFAULT_BODY: Mapping[str, Any] = {name: "{" + name + "}" for name in PLACEHOLDERS}


class WebhookTemplateError(DeviceError):
    """A webhook template is malformed; the message says where and how to fix it."""


@dataclass(frozen=True, slots=True)
class WebhookRequest:
    """A rendered call to the user's backend."""

    method: str
    url: str
    json: Any
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class WebhookTemplate:
    """Point simulated apps at any backend: a URL and a JSON body with placeholders.

    Strings in ``url``, ``body`` and ``headers`` may contain ``{token}``, ``{user_id}``,
    ``{platform}``, ``{app_id}``, ``{phone_id}``, ``{notification_id}`` and ``{event}``
    (``{{``/``}}`` for literal braces). A string that is exactly one placeholder becomes the raw
    value (``null`` for a token report's ``notification_id``); values in the URL are
    percent-encoded. ``events`` picks which messages this template sends.
    """

    url: str
    body: Any = field(default_factory=lambda: dict(DEFAULT_BODY))
    method: str = "POST"
    events: frozenset[str] = frozenset(EVENTS)
    headers: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        method = self.method.upper() if isinstance(self.method, str) else self.method
        if method not in METHODS:
            raise WebhookTemplateError(f"method {self.method!r}: use one of {', '.join(METHODS)}")
        object.__setattr__(self, "method", method)
        events = frozenset(self.events)
        unknown = sorted(events - set(EVENTS))
        if unknown or not events:
            raise WebhookTemplateError(
                f"events {sorted(unknown) or '[]'}: pick one or more of {', '.join(EVENTS)}"
            )
        object.__setattr__(self, "events", events)
        _TEMPLATES.check_text(self.url, "url")
        probe = urllib.parse.urlsplit(
            _TEMPLATES.render_text(self.url, _TEMPLATES.probe(), quote=True)
        )
        if probe.scheme not in ("http", "https") or not probe.hostname:
            raise WebhookTemplateError(f"url {self.url!r}: needs http:// or https:// and a host")
        if not isinstance(self.headers, Mapping):
            raise WebhookTemplateError("headers: must be an object of name → text")
        for name, value in self.headers.items():
            if not isinstance(name, str) or not isinstance(value, str):
                raise WebhookTemplateError(f"headers[{name!r}]: names and values must be text")
            _TEMPLATES.check_text(value, f"headers[{name!r}]")
        _TEMPLATES.check_json(self.body, "body")

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> WebhookTemplate:
        """Build from a parsed JSON/TOML object: ``url`` (required), ``body``, ``method``,
        ``events``, ``headers``."""
        if not isinstance(config, Mapping):
            raise WebhookTemplateError("a webhook template must be an object with a url")
        allowed = {"url", "body", "method", "events", "headers"}
        extra = sorted(set(config) - allowed)
        if extra:
            raise WebhookTemplateError(f"unknown keys {extra}: use {', '.join(sorted(allowed))}")
        if "url" not in config:
            raise WebhookTemplateError("url: required")
        events = config.get("events", EVENTS)
        if isinstance(events, str) or not isinstance(events, Iterable):
            raise WebhookTemplateError(f"events {events!r}: must be a list")
        return cls(
            url=config["url"],
            body=config.get("body", dict(DEFAULT_BODY)),
            method=config.get("method", "POST"),
            events=frozenset(events),
            headers=config.get("headers", {}),
        )

    def render(self, message: AppServerMessage) -> WebhookRequest | None:
        """The request for ``message``, or ``None`` when this template does not send its kind."""
        values = message_values(message)
        if values["event"] not in self.events:
            return None
        body = None if self.method in ("GET", "DELETE") and self.body is None else self.body
        return WebhookRequest(
            method=self.method,
            url=_TEMPLATES.render_text(self.url, values, quote=True),
            json=_TEMPLATES.render(body, values),
            headers={k: _TEMPLATES.render_text(v, values) for k, v in self.headers.items()},
        )


def message_values(message: AppServerMessage) -> dict[str, Any]:
    """The placeholder values of ``message``."""
    if isinstance(message, TokenReport):
        return {
            "token": message.token,
            "user_id": message.user_id,
            "platform": message.platform,
            "app_id": message.app_id,
            "phone_id": message.phone_id,
            "notification_id": None,
            "event": "token",
        }
    return {
        "token": message.token,
        "user_id": message.user_id,
        "platform": message.platform,
        "app_id": message.app_id,
        "phone_id": message.phone_id,
        "notification_id": message.notification_id,
        "event": message.event,
    }


@dataclass(frozen=True)
class Templates:
    """``{name}`` placeholders in text and in JSON-like values, checked against ``names``.

    ``text_of`` turns a value placed inside a longer string into text (``str`` by default); a
    string that is exactly one placeholder becomes the raw value instead. Errors are
    :class:`WebhookTemplateError` naming where and how to fix it.
    """

    names: tuple[str, ...]
    text_of: Callable[[Any], str] = str

    def fields(self, text: str, where: str) -> list[tuple[str, str | None]]:
        """(literal, placeholder) pairs of ``text``; raises on anything but known ``{name}``s."""
        try:
            parsed = list(string.Formatter().parse(text))
        except ValueError as exc:
            raise WebhookTemplateError(
                f"{where} {text!r}: {exc} (write {{{{ for a brace)"
            ) from None
        pairs: list[tuple[str, str | None]] = []
        for literal, name, spec, conversion in parsed:
            if name is not None:
                if name not in self.names:
                    raise WebhookTemplateError(
                        f"{where} {text!r}: unknown placeholder {{{name}}}; "
                        f"use {', '.join('{' + p + '}' for p in self.names)}"
                    )
                if spec or conversion:
                    raise WebhookTemplateError(f"{where} {text!r}: write {{{name}}} plainly")
            pairs.append((literal, name))
        return pairs

    def check_text(self, text: Any, where: str) -> None:
        if not isinstance(text, str):
            raise WebhookTemplateError(f"{where}: must be text, not {type(text).__name__}")
        self.fields(text, where)

    def check_json(self, value: Any, where: str) -> None:
        if isinstance(value, str):
            self.fields(value, where)
        elif isinstance(value, Mapping):
            for key, item in value.items():
                if not isinstance(key, str):
                    raise WebhookTemplateError(f"{where}: object keys must be text, not {key!r}")
                self.check_json(item, f"{where}.{key}")
        elif isinstance(value, list | tuple):
            for index, item in enumerate(value):
                self.check_json(item, f"{where}[{index}]")
        elif not (value is None or isinstance(value, bool | int | float)):
            raise WebhookTemplateError(f"{where}: {type(value).__name__} is not JSON")

    def render(self, value: Any, values: Mapping[str, Any]) -> Any:
        if isinstance(value, str):
            pairs = self.fields(value, "template")
            if len(pairs) == 1 and pairs[0][0] == "" and pairs[0][1] is not None:
                return values[pairs[0][1]]  # a lone placeholder keeps its type (null stays null)
            return self.render_text(value, values)
        if isinstance(value, Mapping):
            return {key: self.render(item, values) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.render(item, values) for item in value]
        return value

    def render_text(self, text: str, values: Mapping[str, Any], *, quote: bool = False) -> str:
        """``text`` filled in (None as nothing); ``quote`` percent-encodes the values (URLs)."""
        parts = []
        for literal, name in self.fields(text, "template"):
            parts.append(literal)
            if name is not None:
                value = values[name]
                value = "" if value is None else self.text_of(value)
                parts.append(urllib.parse.quote(value, safe="") if quote else value)
        return "".join(parts)

    def probe(self) -> dict[str, Any]:
        """A value for every name, to try a template out."""
        return dict.fromkeys(self.names, "x")


_TEMPLATES = Templates(PLACEHOLDERS)
