"""Wallet on a simulated iPhone: passes, their registrations, and the update pull.

reference/wallet.md §1-§3 and devices.md §5.1. Adding an updatable pass registers it with its web
service (``deviceLibraryIdentifier``, a push token per pass type) and asks at once what changed;
an empty push on the pass type topic starts the update pull (``wallet_update``). Per pass, "Allow
Notifications" off updates silently and "Automatic Updates" off stops updates and unregisters
(whether iOS sends the DELETE then is [U]; it does here). Deleting a pass unregisters it. Problems
with the web service are logged with the device's wording (§3) and sent to its ``/v1/log``.

Sans-IO like the phone: HTTP goes out through ``PhoneHttp`` and answers come back as calls
(``wallet_web``): while the phone is offline requests wait and go out when it is back online, and
a call that failed (no answer, or a server error) is tried again with growing waits on the
phone's timer, then given up and logged (§1; the schedule is [U], ``WalletRetry``).
"""

from __future__ import annotations

import datetime
import json
import secrets
from collections.abc import Callable

from devices import wallet_events as wev
from devices.errors import DeviceError, NotFound
from devices.pkpass import PassData, PassRefused, read_pass
from devices.push_service import ApnsPushService
from devices.wallet_pass import HeldPass, WalletPass, auth, base, quote, status
from devices.wallet_update import APPLE, WALLET_APP_ID, UpdatePull
from devices.wallet_web import (
    HttpRequest,
    HttpResponse,
    PhoneHttp,
    WalletRetry,
    WalletSetup,
    WebServiceLink,
)

__all__ = [
    "APPLE",
    "WALLET_APP_ID",
    "HttpRequest",
    "HttpResponse",
    "PhoneHttp",
    "Wallet",
    "WalletPass",
    "WalletRetry",
    "WalletSetup",
    "WalletUnavailable",
]


class Wallet(UpdatePull):
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
        self._passes: dict[tuple[str, str], HeldPass] = {}
        self._tokens: dict[str, str] = {}  # pass type → push token
        self._tags: dict[str, str] = {}  # pass type → lastUpdated
        self._link = WebServiceLink(setup, online, self._retrying)

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
            held = self._passes[key] = HeldPass(info)
        else:
            held.data = info  # the same pass type and serial overwrites (§2)
        self._emit(
            wev.PassAdded, wallet=APPLE, pass_id=info.serial_number, pass_type=info.pass_type_id
        )
        held.last_modified = last_modified
        if info.updatable and held.automatic_updates and not held.registered:
            self._register(held)
        return held.view()

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
        return [held.view() for held in self._passes.values()]

    def get(self, pass_type_id: str, serial_number: str) -> WalletPass:
        return self._held(pass_type_id, serial_number).view()

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
        self._link.came_online()

    # -- registration -------------------------------------------------------------------------

    def _register(self, held: HeldPass) -> None:
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
            {**auth(info), "content-type": "application/json"},
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

    def _unregister(self, held: HeldPass) -> None:
        held.registered = False
        info = held.data
        request = HttpRequest("DELETE", self._registration_url(info), auth(info))

        def done(reply: HttpResponse) -> None:
            if reply.status != 200:
                self._problem(info, "Unregister task", reply)

        self._send(request, done)

    def _registration_url(self, info: PassData) -> str:
        return (
            f"{base(info)}/v1/devices/{self.device_library_id}/registrations/"
            f"{quote(info.pass_type_id)}/{quote(info.serial_number)}"
        )

    # -- plumbing -----------------------------------------------------------------------------

    def _downloaded(self, url: str, reply: HttpResponse) -> None:
        if reply.status != 200:
            self._emit(
                wev.PassRefused,
                wallet=APPLE,
                reason=f"download failed: {status(reply)}",
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
        self._link.send(request, then)

    def _retrying(
        self, request: HttpRequest, reply: HttpResponse, attempt: int, wait: float
    ) -> None:
        self._emit(
            wev.WalletRequestRetried,
            wallet=APPLE,
            method=request.method,
            url=request.url,
            status=reply.status,
            error=reply.error,
            attempt=attempt,
            delay=wait,
        )

    def _problem(self, info: PassData, task: str, reply: HttpResponse) -> None:
        self._log(
            info.pass_type_id,
            base(info),
            f"{task} (for device {self.device_library_id}, pass type {info.pass_type_id}, serial "
            f"number {info.serial_number}; with web service url {base(info)}) "
            f"encountered error: {status(reply)}",
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

    def _held(self, pass_type_id: str, serial_number: str) -> HeldPass:
        held = self._passes.get((pass_type_id, serial_number))
        if held is None:
            raise NotFound(f"no pass {pass_type_id}/{serial_number} in Wallet on {self.phone_id}")
        return held


class WalletUnavailable(DeviceError):
    """The phone was made without a Wallet setup."""
