"""Wallet on a simulated iPhone: passes, their registrations, and the update pull.

reference/wallet.md §1-§3 and devices.md §5.1. Adding an updatable pass registers it with its web
service (``deviceLibraryIdentifier``, a push token per pass type) and asks at once what changed. An
empty push on the pass type topic wakes Wallet: it asks for the serials changed since its tag,
fetches each of them, compares the fields and shows the ``changeMessage`` of a changed field
(``%@`` → the new value; several at once → one generic message). Per pass, "Allow Notifications"
off updates silently and "Automatic Updates" off stops updates and unregisters (whether iOS sends
the DELETE then is [U]; it does here). Deleting a pass unregisters it. Problems with the web service
are logged with the device's wording (§3) and sent to its ``/v1/log``.

Sans-IO like the phone: HTTP goes out through ``PhoneHttp`` and answers come back as calls; while
the phone is offline requests wait and go out when it is back online.
"""

from __future__ import annotations

import datetime
import functools
import json
import secrets
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from devices import events as ev
from devices import wallet_events as wev
from devices.errors import DeviceError, NotFound
from devices.pkpass import PassData, PassRefused, read_pass
from devices.push_service import ApnsPushService
from devices.wallet_web import HttpRequest, HttpResponse, PhoneHttp, WalletSetup

__all__ = [
    "APPLE",
    "WALLET_APP_ID",
    "HttpRequest",
    "HttpResponse",
    "PhoneHttp",
    "Wallet",
    "WalletPass",
    "WalletSetup",
    "WalletUnavailable",
]

#: Wallet's bundle id: what its notifications are shown as.
WALLET_APP_ID = "com.apple.Passbook"
#: The ``wallet`` of its timeline events (devices/wallet_events.py).
APPLE = "apple"


class _Held:
    """A pass in Wallet and its per-pass switches."""

    __slots__ = (
        "automatic_updates",
        "data",
        "last_modified",
        "notifications",
        "registered",
        "updates",
    )

    def __init__(self, data: PassData) -> None:
        self.data = data
        self.notifications = True
        self.automatic_updates = True
        self.registered = False
        self.last_modified: str | None = None
        self.updates = 0


@dataclass(frozen=True, slots=True)
class WalletPass:
    """A pass as the user sees it in Wallet."""

    pass_type_id: str
    serial_number: str
    organization_name: str
    fields: Mapping[str, Any]
    notifications: bool
    automatic_updates: bool
    registered: bool
    updates: int = 0
    """Newer versions fetched since the pass was added."""


class Wallet:
    """The Wallet app of one iPhone."""

    def __init__(
        self,
        phone_id: str,
        setup: WalletSetup,
        apns: ApnsPushService,
        *,
        now: Callable[[], float],
        emit: Callable[..., None],
        show: Callable[[str, str, str, str | None, str], None],
        online: Callable[[], bool],
    ) -> None:
        """``emit(event_type, **fields)`` records an event; ``show(token, push_id, serial,
        title, body)`` puts a notification on the lock screen."""
        self.phone_id = phone_id
        self.setup = setup
        self._apns = apns
        self.device_library_id = secrets.token_hex(16)
        self._now = now
        self._emit = emit
        self._show = show
        self._online = online
        self._passes: dict[tuple[str, str], _Held] = {}
        self._tokens: dict[str, str] = {}  # pass type → push token
        self._tags: dict[str, str] = {}  # pass type → lastUpdated
        self._waiting: list[tuple[HttpRequest, Callable[[HttpResponse], None]]] = []

    # -- what the user does -------------------------------------------------------------------

    def add_from_url(self, url: str) -> None:
        """Open a pass's download link: download it and add it (refused passes are events)."""
        self._send(HttpRequest("GET", url), lambda reply: self._downloaded(url, reply))

    def add(
        self, data: bytes, source: str = "", last_modified: str | None = None
    ) -> WalletPass | None:
        """Add a ``.pkpass``; None (and a ``PassRefused`` event) if Wallet refuses it.
        ``last_modified`` is the download's ``Last-Modified``, if it had one."""
        try:
            info = self._read(data)
        except PassRefused as exc:
            self._emit(wev.PassRefused, wallet=APPLE, reason=str(exc), source=source)
            return None
        key = (info.pass_type_id, info.serial_number)
        held = self._passes.get(key)
        if held is None:
            held = self._passes[key] = _Held(info)
        else:
            held.data = info  # the same pass type and serial overwrites (§2)
        self._emit(
            wev.PassAdded, wallet=APPLE, pass_id=info.serial_number, pass_type=info.pass_type_id
        )
        held.last_modified = last_modified
        if info.updatable and held.automatic_updates and not held.registered:
            self._register(held)
        return self._view(held)

    def remove(self, pass_type_id: str, serial_number: str) -> None:
        """Delete the pass: Wallet unregisters it from its web service (§2)."""
        held = self._held(pass_type_id, serial_number)
        del self._passes[(pass_type_id, serial_number)]
        self._emit(wev.PassRemoved, wallet=APPLE, pass_id=serial_number)
        if held.registered:
            self._unregister(held)

    def set_notifications(self, pass_type_id: str, serial_number: str, enabled: bool) -> None:
        """The pass's "Allow Notifications" switch: off, updates arrive silently."""
        self._held(pass_type_id, serial_number).notifications = enabled
        self._setting(pass_type_id, serial_number, "notifications", enabled)

    def set_automatic_updates(self, pass_type_id: str, serial_number: str, enabled: bool) -> None:
        """The pass's "Automatic Updates" switch: off unregisters, on registers again (§2)."""
        held = self._held(pass_type_id, serial_number)
        held.automatic_updates = enabled
        self._setting(pass_type_id, serial_number, "automatic_updates", enabled)
        if not enabled and held.registered:
            self._unregister(held)
        elif enabled and not held.registered and held.data.updatable:
            self._register(held)

    def passes(self) -> list[WalletPass]:
        return [self._view(held) for held in self._passes.values()]

    def get(self, pass_type_id: str, serial_number: str) -> WalletPass:
        return self._view(self._held(pass_type_id, serial_number))

    # -- what the phone hands over ------------------------------------------------------------

    def holds(self, token: str) -> bool:
        """Whether ``token`` is one of Wallet's pass-type push tokens."""
        return token in self._tokens.values()

    def push_arrived(self, token: str, push_id: str) -> None:
        """A push on a pass type topic: a wake-up; its payload is ignored (§4)."""
        for pass_type_id, known in self._tokens.items():
            if known == token:
                self._ask_what_changed(pass_type_id, push_id)

    def came_online(self) -> None:
        """Send what waited while the phone was offline."""
        waiting, self._waiting = self._waiting, []
        for request, then in waiting:
            self.setup.http(request, then)

    # -- registration -------------------------------------------------------------------------

    def _register(self, held: _Held) -> None:
        info = held.data
        token = self._tokens.get(info.pass_type_id)
        if token is None:
            # Wallet's tokens are production tokens: pass pushes work only there (§4).
            token = self._apns.register(self.phone_id, info.pass_type_id, "production")
            self._tokens[info.pass_type_id] = token
        held.registered = True
        body = json.dumps({"pushToken": token}).encode()
        request = HttpRequest(
            "POST",
            self._registration_url(info),
            {**_auth(info), "content-type": "application/json"},
            body,
        )

        def registered(reply: HttpResponse) -> None:
            if reply.status in (200, 201):
                self._emit(
                    wev.PassRegistered,
                    wallet=APPLE,
                    pass_id=info.serial_number,
                    pass_type=info.pass_type_id,
                    device_library_id=self.device_library_id,
                    token=token,
                    status=reply.status,
                )
                # Right after registering, Wallet asks what changed (§2, forum 658453).
                self._ask_what_changed(info.pass_type_id, None)
            else:
                held.registered = False
                self._problem(info, "Register task", reply)

        self._send(request, registered)

    def _unregister(self, held: _Held) -> None:
        held.registered = False
        info = held.data
        request = HttpRequest("DELETE", self._registration_url(info), _auth(info))

        def done(reply: HttpResponse) -> None:
            if reply.status != 200:
                self._problem(info, "Unregister task", reply)

        self._send(request, done)

    def _registration_url(self, info: PassData) -> str:
        return (
            f"{_base(info)}/v1/devices/{self.device_library_id}/registrations/"
            f"{_quote(info.pass_type_id)}/{_quote(info.serial_number)}"
        )

    # -- the update pull ----------------------------------------------------------------------

    def _ask_what_changed(self, pass_type_id: str, push_id: str | None) -> None:
        urls = {
            _base(h.data)
            for h in self._passes.values()
            if h.data.pass_type_id == pass_type_id and h.registered
        }
        for url in sorted(urls):
            tag = self._tags.get(pass_type_id)
            query = "" if tag is None else "?" + urllib.parse.urlencode({"passesUpdatedSince": tag})
            request = HttpRequest(
                "GET",
                f"{url}/v1/devices/{self.device_library_id}/registrations/"
                f"{_quote(pass_type_id)}{query}",
            )
            self._send(request, functools.partial(self._changed, pass_type_id, url, tag, push_id))

    def _changed(
        self, pass_type_id: str, url: str, tag: str | None, push_id: str | None, reply: HttpResponse
    ) -> None:
        if reply.status == 204:
            return
        if reply.status != 200:
            self._log(pass_type_id, url, f"'What changed?' request failed: {_status(reply)}")
            return
        try:
            body = json.loads(reply.body)
            serials, new_tag = body["serialNumbers"], body["lastUpdated"]
        except (ValueError, TypeError, KeyError, RecursionError):
            self._log(pass_type_id, url, "Response to 'What changed?' request was not valid.")
            return
        if not isinstance(new_tag, str) or not isinstance(serials, list):
            # An integer tag is a known server bug: the device never fetches (§1, S A16).
            self._log(
                pass_type_id,
                url,
                "Response to 'What changed?' request included a lastUpdated tag that is not a "
                "string.",
            )
            return
        if serials and tag is not None and new_tag == tag:
            self._log(
                pass_type_id,
                url,
                f"Response to 'What changed?' request included {len(serials)} serial numbers "
                f"but the lastUpdated tag ({tag}) remained the same.",
            )
        self._tags[pass_type_id] = new_tag
        for serial in serials:
            held = self._passes.get((pass_type_id, serial)) if isinstance(serial, str) else None
            if held is not None and held.registered and held.automatic_updates:
                self._fetch(held, push_id)

    def _fetch(self, held: _Held, push_id: str | None) -> None:
        info = held.data
        headers = _auth(info)
        if self.setup.send_if_modified_since and held.last_modified:
            headers["if-modified-since"] = held.last_modified
        request = HttpRequest(
            "GET",
            f"{_base(info)}/v1/passes/{_quote(info.pass_type_id)}/{_quote(info.serial_number)}",
            headers,
        )
        self._send(request, lambda reply: self._fetched(held, push_id, request, reply))

    def _fetched(
        self, held: _Held, push_id: str | None, request: HttpRequest, reply: HttpResponse
    ) -> None:
        old = held.data
        url = _base(old)
        serial = old.serial_number
        if reply.status == 304:
            return  # the server honoured If-Modified-Since: nothing to do, nothing to log
        if reply.status != 200:
            self._problem(old, "Get pass task", reply)
            return
        if "last-modified" not in reply.headers:
            self._log(
                old.pass_type_id,
                url,
                f"Server returned the pass data for serial number '{serial}' but did not "
                "provide a 'last-modified' header.",
            )
        try:
            new = self._read(reply.body)
            if (new.pass_type_id, new.serial_number) != (old.pass_type_id, serial):
                raise PassRefused("the pass type or serial number changed")
        except PassRefused as exc:
            since = request.headers.get("if-modified-since") or "(null)"
            message = (
                f"Get pass task (pass type {old.pass_type_id}, serial number {serial}, "
                f"if-modified-since {since}; with web service url {url}) encountered error: "
                "Received invalid pass data."
            )
            self._emit(
                wev.PassRefused, wallet=APPLE, reason=str(exc), source="update", pass_id=serial
            )
            self._log(old.pass_type_id, url, message)
            return  # Wallet keeps the pass it has ([U], §2)
        held.data = new
        held.updates += 1
        held.last_modified = reply.headers.get("last-modified")
        changed = tuple(
            key
            for key, fld in new.fields.items()
            if key not in old.fields or old.fields[key].value != fld.value
        )
        if not changed:
            self._log(
                old.pass_type_id,
                url,
                f"Server requested update to serial number '{serial}', but the pass was unchanged.",
            )
        self._emit(wev.PassUpdated, wallet=APPLE, pass_id=serial, changed=changed, push_id=push_id)
        if not new.updatable:
            held.registered = False  # no web service any more: Wallet stops asking (§2)
        self._notify(held, changed, push_id)

    def _notify(self, held: _Held, changed: Sequence[str], push_id: str | None) -> None:
        """Show the change message (§2): only fields with a ``changeMessage`` count."""
        info = held.data
        messages = [
            (info.fields[key].change_message or "", info.fields[key].value)
            for key in changed
            if info.fields[key].change_message is not None
        ]
        if not messages:
            return
        if len(messages) == 1 and "%@" in messages[0][0]:
            text, value = messages[0]
            body = text.replace("%@", str(value))
        else:
            body = f"{info.style_name} changed"  # several at once, or no %@ (§2, S16/S21)
        token = self._tokens.get(info.pass_type_id, "")
        if not held.notifications:
            self._emit(
                ev.NotificationSuppressed,
                app_id=WALLET_APP_ID,
                token=token,
                push_id=push_id or "",
                notification_id=info.serial_number,
                reason="Allow Notifications is off for this pass: updated silently",
            )
            return
        self._show(token, push_id or "", info.serial_number, info.organization_name, body)

    # -- plumbing -----------------------------------------------------------------------------

    def _downloaded(self, url: str, reply: HttpResponse) -> None:
        if reply.status != 200:
            self._emit(
                wev.PassRefused,
                wallet=APPLE,
                reason=f"download failed: {_status(reply)}",
                source=url,
            )
            return
        self.add(reply.body, source=url, last_modified=reply.headers.get("last-modified"))

    def _read(self, data: bytes) -> PassData:
        setup = self.setup
        return read_pass(
            data,
            setup.trusted_roots,
            intermediates=setup.intermediates,
            allow_http=setup.allow_http,
        )

    def _send(self, request: HttpRequest, then: Callable[[HttpResponse], None]) -> None:
        if self._online():
            self.setup.http(request, then)
        else:
            self._waiting.append((request, then))

    def _problem(self, info: PassData, task: str, reply: HttpResponse) -> None:
        self._log(
            info.pass_type_id,
            _base(info),
            f"{task} (for device {self.device_library_id}, pass type {info.pass_type_id}, serial "
            f"number {info.serial_number}; with web service url {_base(info)}) "
            f"encountered error: {_status(reply)}",
        )

    def _log(self, pass_type_id: str, url: str, message: str) -> None:
        """Log a web-service problem and send it to the service's ``/v1/log`` (§3)."""
        moment = datetime.datetime.fromtimestamp(self._now(), datetime.UTC)
        stamp = moment.strftime("[%Y-%m-%d %I:%M:%S %p +0000]")
        line = f"{stamp} Web service error for {pass_type_id} ({url}): {message}"
        self._emit(wev.WalletLogged, wallet=APPLE, pass_type=pass_type_id, message=line)
        body = json.dumps({"logs": [line]}).encode()
        request = HttpRequest("POST", f"{url}/v1/log", {"content-type": "application/json"}, body)
        self._send(request, lambda reply: None)

    def _setting(self, pass_type_id: str, serial: str, setting: str, enabled: bool) -> None:
        self._emit(
            wev.PassSettingChanged, wallet=APPLE, pass_id=serial, setting=setting, enabled=enabled
        )

    def _held(self, pass_type_id: str, serial_number: str) -> _Held:
        held = self._passes.get((pass_type_id, serial_number))
        if held is None:
            raise NotFound(f"no pass {pass_type_id}/{serial_number} in Wallet on {self.phone_id}")
        return held

    def _view(self, held: _Held) -> WalletPass:
        return WalletPass(
            pass_type_id=held.data.pass_type_id,
            serial_number=held.data.serial_number,
            organization_name=held.data.organization_name,
            fields=_values(held.data),
            notifications=held.notifications,
            automatic_updates=held.automatic_updates,
            registered=held.registered,
            updates=held.updates,
        )


class WalletUnavailable(DeviceError):
    """The phone was made without a Wallet setup."""


def _values(info: PassData) -> dict[str, Any]:
    return {key: fld.value for key, fld in info.fields.items()}


def _auth(info: PassData) -> dict[str, str]:
    return {"authorization": f"ApplePass {info.authentication_token}"}


def _base(info: PassData) -> str:
    return (info.web_service_url or "").rstrip("/")


def _quote(part: str) -> str:
    return urllib.parse.quote(part, safe="")


def _status(reply: HttpResponse) -> str:
    return reply.error or f"HTTP {reply.status}"
