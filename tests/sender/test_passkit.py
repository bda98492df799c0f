"""The PassKit web service (reference/wallet.md §1) and the card API, over ASGI (no sockets)."""

from __future__ import annotations

import email.utils
import json
import time
import urllib.parse
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devices.pkpass import read_pass
from sender import SenderService, SqliteStore, create_app
from sender.cards import CardService
from sender.models import LoyaltyCard
from sender.pkpass import PassSigner
from tests.sender.conftest import ManualClock
from tests.wallet_support import PASS_TYPE_ID, root_of, scripted_passes, signer_for

API_KEY, APP_KEY = "api-key", "app-key"
PUSH_TOKEN = "ab" * 32


@pytest.fixture(scope="module")
def signer(ca) -> PassSigner:
    return signer_for(ca)


class Apns:
    """A scripted APNs answer for pass pushes (the httpx transport seam of ApnsClient)."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.status, self.reason = 200, None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.status == 200:
            return httpx.Response(200, headers={"apns-id": "5e2f3f9c-0000-4000-8000-000000000001"})
        return httpx.Response(self.status, json={"reason": self.reason})


@pytest.fixture(scope="module")
def service(signer) -> Any:
    """One app per module (building a FastAPI app is the slow part); tests use fresh cards and
    device ids, so they do not see each other."""
    clock, apns, events, store = ManualClock(), Apns(), [], SqliteStore(":memory:")
    passes = scripted_passes(signer, clock, apns)
    cards = CardService(store, clock, events.append, apple=passes)
    app = create_app(
        SenderService(store, None, None, clock), api_key=API_KEY, app_key=APP_KEY, cards=cards
    )
    yield {
        "app": app,
        "apns": apns,
        "cards": cards,
        "events": events,
        "store": store,
        "clock": clock,
    }
    store.close()


@pytest.fixture
def apns(service) -> Apns:
    service["apns"].requests.clear()
    service["apns"].status, service["apns"].reason = 200, None
    return service["apns"]


@pytest.fixture
async def world(service, apns) -> AsyncIterator[dict[str, Any]]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=service["app"]),
        base_url="https://sender.test",
        headers={"Authorization": f"Bearer {API_KEY}"},
    ) as http:
        card = (
            await http.post("/v1/cards", json={"user_id": "alice", "platform": "ios", "points": 10})
        ).json()
        service["clock"].advance(1)
        yield {**service, "http": http, "card": card, "device": uuid.uuid4().hex}


def _auth(world: dict[str, Any]) -> dict[str, str]:
    stored: LoyaltyCard = world["cards"].get(world["card"]["card_id"])
    return {"Authorization": f"ApplePass {stored.auth_token}"}


def _registration(world: dict[str, Any]) -> str:
    return f"/passkit/v1/devices/{world['device']}/registrations/{PASS_TYPE_ID}/{world['card']['card_id']}"


async def _register(world: dict[str, Any], token: str = PUSH_TOKEN) -> httpx.Response:
    return await world["http"].post(
        _registration(world), json={"pushToken": token}, headers=_auth(world)
    )


async def test_register_is_201_then_200(world):
    """A new registration is 201, the same one again 200 (wallet.md §1)."""
    assert (await _register(world)).status_code == 201
    assert (await _register(world)).status_code == 200
    assert len(world["store"].pass_registrations(PASS_TYPE_ID, world["card"]["card_id"])) == 1


async def test_register_again_replaces_a_changed_push_token(world):
    """A known registration takes the new push token (§1, S9)."""
    await _register(world)
    assert (await _register(world, "cd" * 32)).status_code == 200
    [only] = world["store"].pass_registrations(PASS_TYPE_ID, world["card"]["card_id"])
    assert only.push_token == "cd" * 32


@pytest.mark.parametrize(
    "authorization",
    [None, "ApplePass wrong-token-of-some-length", "Bearer x", "ApplePass"],
)
async def test_register_without_the_pass_token_is_401(world, authorization):
    """Register needs ``Authorization: ApplePass <authenticationToken>`` (§1)."""
    headers = {} if authorization is None else {"Authorization": authorization}
    response = await world["http"].post(
        _registration(world), json={"pushToken": PUSH_TOKEN}, headers=headers
    )
    assert response.status_code == 401


async def test_register_for_an_unknown_pass_is_401(world):
    """An unknown serial or pass type cannot be authenticated: 401."""
    path = f"/passkit/v1/devices/{world['device']}/registrations/pass.com.other/{world['card']['card_id']}"
    response = await world["http"].post(path, json={"pushToken": PUSH_TOKEN}, headers=_auth(world))
    assert response.status_code == 401


@pytest.mark.parametrize(
    "body", [b"", b"not json", b"[]", b'{"pushToken": 5}', b'{"token": "x"}', b'{"pushToken": ""}']
)
async def test_register_with_a_bad_body_is_400(world, body):
    """A body without a string pushToken is bad input: 400, nothing stored."""
    response = await world["http"].post(_registration(world), content=body, headers=_auth(world))
    assert response.status_code == 400
    assert world["store"].pass_registrations(PASS_TYPE_ID, world["card"]["card_id"]) == []


async def test_serials_list_everything_without_a_tag_and_nothing_new_with_the_last_one(world):
    """No tag: every registered serial and a string lastUpdated; that tag again: 204 (§1)."""
    await _register(world)
    path = f"/passkit/v1/devices/{world['device']}/registrations/{PASS_TYPE_ID}"
    first = await world["http"].get(path)
    assert first.status_code == 200
    body = first.json()
    assert body["serialNumbers"] == [world["card"]["card_id"]]
    assert isinstance(body["lastUpdated"], str)
    again = await world["http"].get(path, params={"passesUpdatedSince": body["lastUpdated"]})
    assert again.status_code == 204 and again.content == b""


async def test_serials_since_a_tag_list_a_change(world):
    """After a change the card is listed since the old tag, with a newer tag."""
    await _register(world)
    path = f"/passkit/v1/devices/{world['device']}/registrations/{PASS_TYPE_ID}"
    tag = (await world["http"].get(path)).json()["lastUpdated"]
    await world["http"].patch(f"/v1/cards/{world['card']['card_id']}", json={"points": 20})
    changed = (await world["http"].get(path, params={"passesUpdatedSince": tag})).json()
    assert changed["serialNumbers"] == [world["card"]["card_id"]]
    assert int(changed["lastUpdated"]) > int(tag)


async def test_serials_for_an_unknown_device_is_404(world):
    """A device with no registration: 404, as Apple's reference server answers (§1)."""
    response = await world["http"].get(f"/passkit/v1/devices/nobody/registrations/{PASS_TYPE_ID}")
    assert response.status_code == 404


@pytest.mark.parametrize("tag", ["abc", "-1", "1.5", "9" * 30])
async def test_serials_with_a_tag_never_given_is_400(world, tag):
    """A tag this server never handed out is bad input: 400."""
    await _register(world)
    path = f"/passkit/v1/devices/{world['device']}/registrations/{PASS_TYPE_ID}"
    assert (await world["http"].get(path, params={"passesUpdatedSince": tag})).status_code == 400


async def test_latest_pass_is_a_signed_pkpass_with_last_modified(world, ca):
    """200, application/vnd.apple.pkpass, an HTTP-date Last-Modified; Wallet accepts it (§1)."""
    path = f"/passkit/v1/passes/{PASS_TYPE_ID}/{world['card']['card_id']}"
    response = await world["http"].get(path, headers=_auth(world))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.apple.pkpass"
    assert email.utils.parsedate_to_datetime(response.headers["last-modified"]) is not None
    data = read_pass(response.content, [root_of(ca)])
    assert data.fields["points"].value == 10


async def test_latest_pass_is_304_until_it_changes(world):
    """If-Modified-Since with the Last-Modified: 304; after a change, 200 again (§1)."""
    path = f"/passkit/v1/passes/{PASS_TYPE_ID}/{world['card']['card_id']}"
    first = await world["http"].get(path, headers=_auth(world))
    since = {**_auth(world), "If-Modified-Since": first.headers["last-modified"]}
    assert (await world["http"].get(path, headers=since)).status_code == 304
    await world["http"].patch(f"/v1/cards/{world['card']['card_id']}", json={"points": 11})
    assert (await world["http"].get(path, headers=since)).status_code == 200


async def test_if_modified_since_without_a_zone_is_gmt(world, monkeypatch):
    """An If-Modified-Since in asctime's form (no zone: GMT, RFC 9110 §5.6.7) is read as GMT,
    not in the server's local time zone: the Last-Modified time in that form is a 304."""
    path = f"/passkit/v1/passes/{PASS_TYPE_ID}/{world['card']['card_id']}"
    first = await world["http"].get(path, headers=_auth(world))
    stamp = email.utils.parsedate_to_datetime(first.headers["last-modified"]).timestamp()
    since = {**_auth(world), "If-Modified-Since": time.asctime(time.gmtime(stamp))}
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        assert (await world["http"].get(path, headers=since)).status_code == 304
    finally:
        monkeypatch.undo()
        time.tzset()


async def test_latest_pass_without_the_pass_token_is_401(world):
    """The pass needs its authentication token (§1)."""
    path = f"/passkit/v1/passes/{PASS_TYPE_ID}/{world['card']['card_id']}"
    assert (await world["http"].get(path)).status_code == 401
    assert (
        await world["http"].get(path, headers={"Authorization": "ApplePass nope"})
    ).status_code == 401


async def test_unregister_is_200_also_when_called_twice(world):
    """DELETE forgets the registration; a second DELETE is 200 too (nothing lost, §1)."""
    await _register(world)
    assert (
        await world["http"].delete(_registration(world), headers=_auth(world))
    ).status_code == 200
    assert (
        await world["http"].delete(_registration(world), headers=_auth(world))
    ).status_code == 200
    assert world["store"].pass_registrations(PASS_TYPE_ID, world["card"]["card_id"]) == []


async def test_unregister_without_the_pass_token_is_401(world):
    """Unregister needs the pass's token; the registration stays."""
    await _register(world)
    assert (await world["http"].delete(_registration(world))).status_code == 401
    assert len(world["store"].pass_registrations(PASS_TYPE_ID, world["card"]["card_id"])) == 1


async def test_log_stores_the_messages(world):
    """POST /v1/log {"logs": [...]}: 200, kept and on the timeline (§1, §3)."""
    response = await world["http"].post("/passkit/v1/log", json={"logs": ["one", "two"]})
    assert response.status_code == 200
    assert [m for _, m in world["store"].pass_logs()][-2:] == ["one", "two"]
    assert (await world["http"].get("/v1/cards/stats")).json()["device_logs"] >= 2


async def test_log_keeps_only_the_newest_messages(world, monkeypatch):
    """Anyone may post to /v1/log: the sender keeps its newest ``device_logs_kept`` messages,
    so a flood cannot fill the database."""
    monkeypatch.setattr(world["cards"], "device_logs_kept", 3)
    for n in range(4):
        response = await world["http"].post("/passkit/v1/log", json={"logs": [f"f{n}"] * 2})
        assert response.status_code == 200
    assert [m for _, m in world["store"].pass_logs()] == ["f2", "f3", "f3"]


@pytest.mark.parametrize(
    "body", [b"", b"{}", b'{"logs": "x"}', b'{"logs": [1]}', b"[]", b'{"logs": ["a\\u0000b"]}']
)
async def test_log_with_a_bad_body_is_400(world, body):
    """A body that is not {"logs": [strings]}, or a message holding NUL (no store takes it): 400."""
    assert (await world["http"].post("/passkit/v1/log", content=body)).status_code == 400


async def test_a_change_pushes_an_empty_payload_on_the_pass_type_topic(world, apns):
    """The update push: topic = pass type id, body {} (wallet.md §4); its outcome is kept."""
    await _register(world)
    update = (
        await world["http"].patch(f"/v1/cards/{world['card']['card_id']}", json={"points": 30})
    ).json()
    [request] = apns.requests
    assert request.url.path == f"/3/device/{PUSH_TOKEN}"
    assert request.headers["apns-topic"] == PASS_TYPE_ID
    assert request.content == b"{}"
    assert [(o["outcome"], o["status"], o["device_library_id"]) for o in update["outcomes"]] == [
        ("accepted", 200, world["device"])
    ]


async def test_a_dead_push_token_drops_the_registration(world, apns):
    """410 Unregistered: the device's registrations go (wallet.md §4, S2)."""
    await _register(world)
    apns.status, apns.reason = 410, "Unregistered"
    update = (
        await world["http"].patch(f"/v1/cards/{world['card']['card_id']}", json={"points": 31})
    ).json()
    assert update["outcomes"][0]["reason"] == "Unregistered"
    assert world["store"].pass_registrations(PASS_TYPE_ID, world["card"]["card_id"]) == []


async def test_card_detail_shows_devices_and_update_outcomes(world):
    """GET /v1/cards/{id}: devices and each version's outcomes; the link adds the card."""
    await _register(world)
    await world["http"].patch(f"/v1/cards/{world['card']['card_id']}", json={"tier": "Gold"})
    detail = (await world["http"].get(f"/v1/cards/{world['card']['card_id']}")).json()
    assert [d["device_library_id"] for d in detail["devices"]] == [world["device"]]
    assert [u["version"] for u in detail["updates"]] == [1, 2]
    assert detail["tier"] == "Gold" and detail["updates"][1]["outcomes"][0]["status"] == 200
    download = await world["http"].get(detail["add_url"])
    assert download.status_code == 200 and "last-modified" in download.headers
    wrong = await world["http"].get(detail["add_url"].replace(".pkpass", "0.pkpass"))
    assert wrong.status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"user_id": "alice", "platform": "windows"},
        {"user_id": "", "platform": "ios"},
        {"user_id": "alice", "platform": "ios", "points": -1},
        {"user_id": "alice", "platform": "ios", "tier": ""},
        {"platform": "ios"},
    ],
)
async def test_bad_card_requests_are_422(world, body):
    """The card API refuses bad input with a 422 naming the field."""
    response = await world["http"].post("/v1/cards", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == 422


async def test_the_card_api_needs_the_api_key(world):
    """Cards are a backend's business: bearer API key, as notifications."""
    response = await world["http"].get("/v1/cards", headers={"Authorization": "Bearer wrong"})
    assert response.status_code == 401


TEXT = st.text(max_size=40)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    device=TEXT.filter(lambda s: s and "/" not in s and "?" not in s and "#" not in s),
    body=st.one_of(
        st.binary(max_size=200),
        st.builds(
            json.dumps,
            st.recursive(
                st.none() | st.booleans() | st.integers() | TEXT,
                lambda c: st.lists(c) | st.dictionaries(TEXT, c),
                max_leaves=8,
            ),
        ).map(str.encode),
    ),
    tag=TEXT,
)
async def test_fuzzed_web_service_requests_get_apple_codes_never_500(world, device, body, tag):
    """Any device id, body or tag: only the documented answers, never a server error."""
    http = world["http"]
    base = f"/passkit/v1/devices/{urllib.parse.quote(device, safe='')}/registrations/{PASS_TYPE_ID}"
    serial = world["card"]["card_id"]
    answers = [
        (await http.post(f"{base}/{serial}", content=body, headers=_auth(world))).status_code,
        (await http.get(base, params={"passesUpdatedSince": tag})).status_code,
        (await http.post("/passkit/v1/log", content=body)).status_code,
        (await http.delete(f"{base}/{serial}", headers=_auth(world))).status_code,
    ]
    assert answers[0] in (200, 201, 400, 404)
    assert answers[1] in (200, 204, 400, 404)
    assert answers[2] in (200, 400)
    assert answers[3] in (200, 404)
