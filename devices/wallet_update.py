"""Wallet's update pull on a simulated iPhone (devices/wallet.py), reference/wallet.md §1-§3.

An empty push on the pass type topic wakes Wallet: it asks each web service for the serials
changed since its tag, fetches each of them, compares the fields and shows the ``changeMessage``
of a changed field (``%@`` → the new value; several at once → one generic message), or updates
silently when the pass's "Allow Notifications" is off. Answers it cannot use are logged with the
device's wording (§3).
"""

from __future__ import annotations

import functools
import json
import urllib.parse
from collections.abc import Callable, Sequence
from typing import Any

from devices import events as ev
from devices import wallet_events as wev
from devices.pkpass import PassData, PassRefused
from devices.wallet_pass import HeldPass, auth, base, quote, status
from devices.wallet_web import HttpRequest, HttpResponse, WalletSetup

#: Wallet's bundle id: what its notifications are shown as.
WALLET_APP_ID = "com.apple.Passbook"
#: The ``wallet`` of its timeline events (devices/wallet_events.py).
APPLE = "apple"


class UpdatePull:
    """The pull half of ``Wallet``; the attributes and methods below are the Wallet's."""

    setup: WalletSetup
    device_library_id: str
    _passes: dict[tuple[str, str], HeldPass]
    _tokens: dict[str, str]
    _tags: dict[str, str]
    _emit: Callable[..., None]
    _show: Callable[[str, str, str, str | None, str], None]

    def _send(self, request: HttpRequest, then: Callable[[HttpResponse], None]) -> None:
        raise NotImplementedError

    def _read(self, data: bytes) -> PassData:
        raise NotImplementedError

    def _log(self, pass_type_id: str, url: str, message: str) -> None:
        raise NotImplementedError

    def _problem(self, info: PassData, task: str, reply: HttpResponse) -> None:
        raise NotImplementedError

    def _ask_what_changed(self, pass_type_id: str, push_id: str | None) -> None:
        urls = {
            base(h.data)
            for h in self._passes.values()
            if h.data.pass_type_id == pass_type_id and h.registered
        }
        for url in sorted(urls):
            tag = self._tags.get(pass_type_id)
            query = "" if tag is None else "?" + urllib.parse.urlencode({"passesUpdatedSince": tag})
            request = HttpRequest(
                "GET",
                f"{url}/v1/devices/{self.device_library_id}/registrations/"
                f"{quote(pass_type_id)}{query}",
            )
            self._send(request, functools.partial(self._changed, pass_type_id, url, tag, push_id))

    def _changed(
        self, pass_type_id: str, url: str, tag: str | None, push_id: str | None, reply: HttpResponse
    ) -> None:
        if reply.status == 204:
            return
        if reply.status != 200:
            self._log(pass_type_id, url, f"'What changed?' request failed: {status(reply)}")
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
        # Each pass once, however often the list names it (a server's bug, or a hostile list of
        # one serial repeated a million times).
        for serial in dict.fromkeys(s for s in serials if isinstance(s, str)):
            held = self._passes.get((pass_type_id, serial))
            if held is not None and held.registered and held.automatic_updates:
                self._fetch(held, push_id)

    def _fetch(self, held: HeldPass, push_id: str | None) -> None:
        info = held.data
        headers = auth(info)
        if self.setup.send_if_modified_since and held.last_modified:
            headers["if-modified-since"] = held.last_modified
        request = HttpRequest(
            "GET",
            f"{base(info)}/v1/passes/{quote(info.pass_type_id)}/{quote(info.serial_number)}",
            headers,
        )
        self._send(request, lambda reply: self._fetched(held, push_id, request, reply))

    def _fetched(
        self, held: HeldPass, push_id: str | None, request: HttpRequest, reply: HttpResponse
    ) -> None:
        old = held.data
        url = base(old)
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

    def _notify(self, held: HeldPass, changed: Sequence[str], push_id: str | None) -> None:
        """Show the change message (§2): only fields with a ``changeMessage`` count."""
        info = held.data
        messages: list[tuple[str, Any]] = [
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
