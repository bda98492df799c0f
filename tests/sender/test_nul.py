"""NUL (U+0000) in any string: refused alike on SQLite and PostgreSQL (whose text cannot hold it).

Every test runs on both stores: SQLite would take NUL, PostgreSQL would fail with a 500, so the
sender refuses it before either store sees it (422 naming the field, or, in a URL, 422 before any
route looks it up), and what a provider answers is stored with NUL replaced.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from fakeproviders.ca import LocalCA
from sender import ApnsClient, FcmClient, SenderService, Store, create_app
from sender.cards import ApplePasses, CardService
from sender.events import SenderEvent
from sender.models import PassRegistration
from sender.policy import RetryPolicy
from tests.sender.conftest import ManualClock, Script, apns_error
from tests.wallet_support import PASS_TYPE_ID, scripted_passes, signer_for

API = {"Authorization": "Bearer api-secret"}
APP = {"X-App-Key": "app-secret"}
IOS = "ab" * 32
DEVICE = {"token": IOS, "platform": "ios", "app_id": "com.example", "user_id": "u1"}
ALERT = {"user_id": "u1", "title": "Hello", "body": "World"}
NUL = "a\x00b"


@pytest.fixture
async def service(
    any_store: Store,
    apns: ApnsClient,
    fcm: FcmClient,
    clock: ManualClock,
    events: list[SenderEvent],
) -> AsyncIterator[SenderService]:
    service = SenderService(
        any_store, apns, fcm, clock, events.append, retry=RetryPolicy(max_attempts=1)
    )
    await service.start()
    yield service
    await service.stop()


BODIES: list[tuple[str, str, dict[str, str], dict[str, Any], str]] = [
    ("POST", "/v1/devices", APP, DEVICE | {"user_id": NUL}, "user_id"),
    ("POST", "/v1/devices", APP, DEVICE | {"app_id": NUL}, "app_id"),
    ("POST", "/v1/devices", APP, DEVICE | {"installation_id": NUL}, "installation_id"),
    ("POST", "/v1/devices", APP, DEVICE | {"token": "ab\x00c"}, "token"),
    ("POST", "/v1/notifications", API, ALERT | {"user_id": NUL}, "user_id"),
    ("POST", "/v1/notifications", API, ALERT | {"title": NUL}, "title"),
    ("POST", "/v1/notifications", API, ALERT | {"data": {"k": NUL}}, "data.k"),
    ("POST", "/v1/notifications", API, ALERT | {"data": {NUL: "v"}}, f"data.{NUL}"),
    ("POST", "/v1/notifications", API, {"user_ids": ["u1", NUL], "body": "b"}, "user_ids"),
    ("POST", "/v1/notifications", API, {"condition": NUL, "body": "b"}, "condition"),
    ("PUT", "/v1/segments/s", API, {"user_ids": [NUL]}, "user_ids"),
    ("PUT", "/v1/segments/s", API, {"app_id": NUL}, "app_id"),
    (
        "POST",
        "/v1/events",
        APP,
        {"notification_id": NUL, "token": IOS, "event": "opened"},
        "notification_id",
    ),
    ("POST", "/v1/events", APP, {"notification_id": "n", "token": NUL, "event": "opened"}, "token"),
]


async def test_nul_in_a_body_string_is_422_naming_the_field(
    client: httpx.AsyncClient, any_store: Store
) -> None:
    """A NUL in any string of a request body is refused (422, the field named) before the
    store sees it, on SQLite as on PostgreSQL, and nothing is stored."""
    for method, path, headers, body, field in BODIES:
        response = await client.request(method, path, json=body, headers=headers)
        assert response.status_code == 422, (path, body, response.text)
        error = response.json()["error"]
        assert field in {f["field"] for f in error["fields"]}, (path, error)
        assert "NUL" in error["message"]
    assert any_store.get_device(IOS) is None
    assert any_store.get_segment("s") is None
    assert any_store.stats()["requested"] == 0


URLS: list[tuple[str, str, dict[str, str]]] = [
    ("GET", "/v1/devices/ab%00cd", API),
    ("DELETE", "/v1/devices/ab%00cd", APP),
    ("GET", "/v1/notifications/n%00", API),
    ("GET", "/v1/segments/s%00", API),
    ("PUT", "/v1/segments/s%00", API),
    ("GET", "/v1/stats?notification_id=n%00", API),
]


async def test_nul_in_a_url_is_422(client: httpx.AsyncClient) -> None:
    """A NUL (``%00``) in a URL's path or query is refused (422) before a route looks the id up,
    on SQLite as on PostgreSQL (where the lookup itself would fail)."""
    for method, url, headers in URLS:
        body = {} if method == "PUT" else None
        response = await client.request(method, url, json=body, headers=headers)
        assert response.status_code == 422, (url, response.text)
        assert "NUL" in response.json()["error"]["message"]


async def test_provider_reason_with_nul_is_stored_replaced(
    client: httpx.AsyncClient, service: SenderService, any_store: Store, apns_script: Script
) -> None:
    """A provider's error reason holding NUL is recorded with U+FFFD in its place, so the
    outcome is saved on PostgreSQL too and the notification finishes."""
    apns_script.answer(IOS, apns_error(400, "Bad\x00Thing"))
    assert (await client.post("/v1/devices", json=DEVICE, headers=APP)).status_code == 201
    accepted = await client.post("/v1/notifications", json=ALERT, headers=API)
    notification_id = accepted.json()["id"]
    assert await service.wait(notification_id, 10)
    [delivery] = any_store.deliveries(notification_id)
    assert delivery.reason == "Bad\ufffdThing"


async def test_passkit_ids_with_nul_get_apples_codes(
    any_store: Store, apns: ApnsClient, clock: ManualClock, ca: LocalCA
) -> None:
    """The PassKit web service answers ids holding NUL as ids it never gave out (Apple's
    codes: 401, 404, 200), on PostgreSQL as on SQLite, and never looks them up."""
    cards = CardService(
        any_store,
        clock,
        lambda event: None,
        apple=ApplePasses(
            signer=signer_for(ca), web_service_url="https://sender.test/passkit", apns=apns
        ),
    )
    app = create_app(
        SenderService(any_store, None, None, clock), api_key="k", app_key="a", cards=cards
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://sender.test"
    ) as http:
        card = (
            await http.post(
                "/v1/cards",
                json={"user_id": "alice", "platform": "ios", "points": 1},
                headers={"Authorization": "Bearer k"},
            )
        ).json()
        auth = {"Authorization": f"ApplePass {cards.get(card['card_id']).auth_token}"}
        devices = "/passkit/v1/devices"
        serial = card["card_id"]
        answers = {
            "register, NUL device": await http.post(
                f"{devices}/d%00/registrations/{PASS_TYPE_ID}/{serial}",
                json={"pushToken": "ab"},
                headers=auth,
            ),
            "register, NUL serial": await http.post(
                f"{devices}/d/registrations/{PASS_TYPE_ID}/s%00", json={"pushToken": "ab"}
            ),
            "serials, NUL device": await http.get(f"{devices}/d%00/registrations/{PASS_TYPE_ID}"),
            "unregister, NUL device": await http.delete(
                f"{devices}/d%00/registrations/{PASS_TYPE_ID}/{serial}", headers=auth
            ),
            "latest pass, NUL serial": await http.get(f"/passkit/v1/passes/{PASS_TYPE_ID}/s%00"),
            "download, NUL serial": await http.get("/passkit/download/s%00/x.pkpass"),
        }
    codes = {name: response.status_code for name, response in answers.items()}
    assert codes == {
        "register, NUL device": 400,
        "register, NUL serial": 401,
        "serials, NUL device": 404,
        "unregister, NUL device": 200,
        "latest pass, NUL serial": 401,
        "download, NUL serial": 404,
    }


async def test_a_pass_push_reason_with_nul_is_stored_replaced(
    any_store: Store, clock: ManualClock, ca: LocalCA
) -> None:
    """A pass push refused with a reason holding NUL is recorded with U+FFFD in its place, on
    PostgreSQL as on SQLite."""
    passes = scripted_passes(signer_for(ca), clock, lambda request: apns_error(400, "Bad\x00Topic"))
    cards = CardService(any_store, clock, lambda event: None, apple=passes)
    card = await cards.issue("alice", "ios", points=1)
    any_store.register_pass(
        PassRegistration(
            device_library_id="device-1",
            pass_type_id=PASS_TYPE_ID,
            serial_number=card.card_id,
            push_token=IOS,
            registered_at=clock.now(),
        )
    )
    try:
        update = await cards.change(card.card_id, points=5)
    finally:
        await cards.stop()
        assert passes.apns is not None
        await passes.apns.aclose()
    (outcome,) = update.outcomes
    assert outcome.reason == "Bad\ufffdTopic"
    (stored,) = cards.updates(card.card_id)[-1].outcomes
    assert stored.reason == "Bad\ufffdTopic"
