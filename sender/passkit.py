"""The PassKit web service (reference/wallet.md §1) and the passes' download link.

Wallet calls ``{webServiceURL}/v1/...``; this router is mounted at ``/passkit``, so a pass's
``webServiceURL`` is ``<sender URL>/passkit``. Answers follow Apple's table: register 201 new /
200 again / 401; serials 200 ``{"serialNumbers", "lastUpdated"}`` (a JSON string, §1) / 204
nothing new / 404 unknown device (Apple's sample) / 400 a tag this server never gave; latest pass
200 with ``Last-Modified`` / 304 unchanged since ``If-Modified-Since`` / 401; unregister 200 (also
when already gone: a device calling twice loses nothing) / 401; log 200. Bad bodies get 400.
Errors carry no body: Apple documents only the status codes.
"""

from __future__ import annotations

import datetime
import email.utils
import hmac
import json
from enum import Enum
from typing import Annotated, Any

from fastapi import FastAPI, Header, Query, Request, Response

from .cards import CardService
from .events import PassDeviceRegistered, PassDeviceUnregistered, PassLogReceived, PassServed
from .models import LoyaltyCard, PassRegistration
from .pkpass import PKPASS_MEDIA_TYPE

MAX_BODY = 64 * 1024
MAX_LOGS = 100
MAX_ID = 256


PREFIX = "/passkit"


def install_passkit_routes(app: FastAPI, cards: CardService) -> None:
    """The web service's routes for ``cards``, under ``/passkit`` (added to ``app`` directly:
    ``include_router`` would build every route twice, at every simulation start)."""
    tags: list[str | Enum] = ["PassKit web service"]
    emit = cards.emit

    def authorized(pass_type_id: str, serial: str, authorization: str | None) -> LoyaltyCard | None:
        """The card if ``Authorization: ApplePass <token>`` is its token (§1)."""
        scheme, _, token = (authorization or "").partition(" ")
        card = cards.store.get_card(serial) if _usable_id(serial) else None
        if (
            card is None
            or card.platform != "ios"
            or card.program != pass_type_id
            or scheme != "ApplePass"
            or not hmac.compare_digest(token.strip().encode(), (card.auth_token or "").encode())
        ):
            return None
        return card

    @app.post(PREFIX + "/v1/devices/{device_id}/registrations/{pass_type_id}/{serial}", tags=tags)
    async def register(
        device_id: str,
        pass_type_id: str,
        serial: str,
        request: Request,
        authorization: Annotated[str | None, Header()] = None,
    ) -> Response:
        """Register a device to receive push notifications for a pass."""
        card = authorized(pass_type_id, serial, authorization)
        if card is None:
            return Response(status_code=401)
        body = await _json_body(request)
        token = body.get("pushToken") if isinstance(body, dict) else None
        if not _usable_id(device_id) or not isinstance(token, str) or not _usable_id(token):
            return Response(status_code=400)
        now = cards.clock.now()
        created = cards.store.register_pass(
            PassRegistration(
                device_library_id=device_id,
                pass_type_id=pass_type_id,
                serial_number=serial,
                push_token=token,
                registered_at=now,
            )
        )
        emit(
            PassDeviceRegistered(
                at=now,
                card_id=card.card_id,
                device_library_id=device_id,
                push_token=token,
                created=created,
            )
        )
        return Response(status_code=201 if created else 200)

    @app.get(PREFIX + "/v1/devices/{device_id}/registrations/{pass_type_id}", tags=tags)
    async def serials(
        device_id: str,
        pass_type_id: str,
        passes_updated_since: Annotated[str | None, Query(alias="passesUpdatedSince")] = None,
        previous_last_updated: Annotated[str | None, Query(alias="previousLastUpdated")] = None,
    ) -> Response:
        """The serial numbers of the device's passes changed since a tag (no auth: §1)."""
        raw = passes_updated_since if passes_updated_since is not None else previous_last_updated
        since: int | None = None
        if raw:  # absent or empty: every registered serial (Apple's sample, §1)
            if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
                return Response(status_code=400)
            since = int(raw)
        if not _usable_id(device_id) or not cards.store.device_known(device_id):
            return Response(status_code=404)
        found = (
            cards.store.updated_serials(device_id, pass_type_id, since)
            if _usable_id(pass_type_id)
            else []
        )
        if not found:
            return Response(status_code=204)
        body = {
            "serialNumbers": [serial for serial, _ in found],
            # A string, never a number: devices never fetch after an integer tag (§1, S A16).
            "lastUpdated": str(max(tag for _, tag in found)),
        }
        return Response(json.dumps(body), media_type="application/json")

    @app.get(PREFIX + "/v1/passes/{pass_type_id}/{serial}", tags=tags)
    async def latest_pass(
        pass_type_id: str,
        serial: str,
        authorization: Annotated[str | None, Header()] = None,
        if_modified_since: Annotated[str | None, Header()] = None,
    ) -> Response:
        """The latest version of a pass; 304 when unchanged since ``If-Modified-Since``."""
        card = authorized(pass_type_id, serial, authorization)
        if card is None:
            return Response(status_code=401)
        last_modified = _last_modified(card)
        since = _http_date(if_modified_since)
        if since is not None and card.modified_at <= since:
            emit(PassServed(at=cards.clock.now(), card_id=serial, status=304, version=card.version))
            return Response(status_code=304, headers={"Last-Modified": last_modified})
        emit(PassServed(at=cards.clock.now(), card_id=serial, status=200, version=card.version))
        return Response(
            cards.pkpass(card),
            media_type=PKPASS_MEDIA_TYPE,
            headers={"Last-Modified": last_modified},
        )

    @app.delete(PREFIX + "/v1/devices/{device_id}/registrations/{pass_type_id}/{serial}", tags=tags)
    async def unregister(
        device_id: str,
        pass_type_id: str,
        serial: str,
        authorization: Annotated[str | None, Header()] = None,
    ) -> Response:
        """Unregister a device from a pass's updates."""
        card = authorized(pass_type_id, serial, authorization)
        if card is None:
            return Response(status_code=401)
        if _usable_id(device_id) and cards.store.unregister_pass(device_id, pass_type_id, serial):
            emit(
                PassDeviceUnregistered(
                    at=cards.clock.now(),
                    card_id=card.card_id,
                    device_library_id=device_id,
                    reason="device",
                )
            )
        return Response(status_code=200)

    @app.post(PREFIX + "/v1/log", tags=tags)
    async def device_log(request: Request) -> Response:
        """Messages the device logged about this web service (§3)."""
        body = await _json_body(request)
        logs = body.get("logs") if isinstance(body, dict) else None
        if (
            not isinstance(logs, list)
            or len(logs) > MAX_LOGS
            # NUL: PostgreSQL's text cannot hold it (sender.validation refuses it everywhere).
            or not all(isinstance(m, str) and len(m) <= 4096 and "\x00" not in m for m in logs)
        ):
            return Response(status_code=400)
        now = cards.clock.now()
        messages = [m.encode("utf-8", "replace").decode() for m in logs]
        cards.store.add_pass_log(now, messages, cards.device_logs_kept)
        for message in messages:
            emit(PassLogReceived(at=now, message=message))
        return Response(status_code=200)

    @app.get(PREFIX + "/download/{serial}/{secret}.pkpass", tags=tags)
    async def download(serial: str, secret: str) -> Response:
        """The card's download link (what an issuer's web page or e-mail links to)."""
        card = cards.store.get_card(serial) if _usable_id(serial) else None
        if (
            card is None
            or card.platform != "ios"
            or not hmac.compare_digest(secret.encode(), cards.download_token(card).encode())
        ):
            return Response(status_code=404)
        return Response(
            cards.pkpass(card),
            media_type=PKPASS_MEDIA_TYPE,
            headers={"Last-Modified": _last_modified(card)},
        )


async def _json_body(request: Request) -> Any:
    """The request's JSON, or None when it is missing, too large or not JSON."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    try:
        return json.loads(b"".join(chunks))
    except (ValueError, RecursionError):
        return None


def _last_modified(card: LoyaltyCard) -> str:
    """An HTTP-date (§1: Wallet logs a missing or malformed one)."""
    return email.utils.formatdate(card.modified_at, usegmt=True)


def _usable_id(value: str) -> bool:
    # An id no store holds is looked up nowhere: printable excludes NUL, which PostgreSQL's
    # text cannot hold (its lookup would fail, SQLite's would find nothing).
    return 0 < len(value) <= MAX_ID and value.isprintable()


def _http_date(value: str | None) -> int | None:
    """Seconds of an HTTP-date, or None when absent or unreadable."""
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
        # An HTTP-date is GMT even when it says no zone (asctime's form, RFC 9110 §5.6.7);
        # a naive datetime would be read in the server's local time.
        return int(when.replace(tzinfo=when.tzinfo or datetime.UTC).timestamp())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
