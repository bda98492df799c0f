"""Apple Wallet on the phone, sans-IO: the update pull, change messages, switches, offline
requests and the web-service log (reference/wallet.md §1-§3), against a scripted web service."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from devices.wallet import HttpRequest, HttpResponse, Wallet, WalletRetry, WalletSetup
from fakeproviders.ca import LocalCA
from sender.pkpass import PassSigner, build_pkpass
from tests.wallet_support import PASS_TYPE_ID, root_of, signer_for, store_card

URL = "https://shop.test/passkit"
SERIAL = "card-1"


class Tokens:
    def register(self, phone_id: str, app_id: str, environment: str | None = None, **_: Any) -> str:
        assert environment == "production", "Wallet's tokens are production tokens (§4)"
        return "ab" * 32


class Service:
    """A scripted web service: answers by (method, path prefix); records every request."""

    def __init__(self, signer: PassSigner) -> None:
        self.signer = signer
        self.requests: list[HttpRequest] = []
        self.card = store_card(SERIAL)
        self.serials: dict[str, Any] | int | None = None  # None: 204
        self.last_modified: str | None = "Mon, 18 Sep 2017 13:07:08 GMT"
        self.pass_status = 200
        self.online = True
        self.failures: list[tuple[str, str, HttpResponse]] = []
        """Scripted failed answers: (method, part of the URL, answer), each used once."""

    def __call__(self, request: HttpRequest, then: Callable[[HttpResponse], None]) -> None:
        self.requests.append(request)
        for failure in self.failures:
            method, part, reply = failure
            if request.method == method and part in request.url:
                self.failures.remove(failure)
                then(reply)
                return
        path = request.url.removeprefix(URL)
        if request.method == "POST" and path.startswith("/v1/devices/"):
            then(HttpResponse(201))
        elif request.method == "GET" and path.startswith("/v1/devices/"):
            if self.serials is None:
                then(HttpResponse(204))
            else:
                then(HttpResponse(200, {}, json.dumps(self.serials).encode()))
        elif request.method == "GET" and path.startswith("/v1/passes/"):
            headers = {} if self.last_modified is None else {"last-modified": self.last_modified}
            body = build_pkpass(self.card, self.signer) if self.pass_status == 200 else b""
            then(HttpResponse(self.pass_status, headers, body))
        else:
            then(HttpResponse(200))

    def sent(self, method: str, path: str) -> list[HttpRequest]:
        return [r for r in self.requests if r.method == method and path in r.url]


@pytest.fixture(scope="module")
def signer(ca: LocalCA) -> PassSigner:
    return signer_for(ca)


class Timers:
    """The phone's timer, fired by hand: what the simulation's clock does when it advances."""

    def __init__(self) -> None:
        self.waiting: list[tuple[float, Callable[[], None]]] = []

    def __call__(self, seconds: float, callback: Callable[[], None]) -> None:
        self.waiting.append((seconds, callback))

    def fire(self) -> list[float]:
        """Run every waiting callback (and not those they start); the waits they had."""
        due, self.waiting = self.waiting, []
        for _, callback in due:
            callback()
        return [seconds for seconds, _ in due]


@pytest.fixture
def lab(ca, signer) -> dict[str, Any]:
    return _lab(ca, signer, Service(signer))


def _lab(
    ca: LocalCA, signer: PassSigner, service: Service, timers: Timers | None = None
) -> dict[str, Any]:
    events: list[tuple[Any, dict[str, Any]]] = []
    shown: list[tuple[str | None, str]] = []
    online = {"yes": True}
    wallet = Wallet(
        "phone-1",
        WalletSetup(http=service, trusted_roots=(root_of(ca),), later=timers),
        Tokens(),  # type: ignore[arg-type]
        now=lambda: 1_700_000_000.0,
        emit=lambda kind, **fields: events.append((kind, fields)),
        show=lambda token, push_id, serial, title, body: shown.append((title, body)),
        online=lambda: online["yes"],
    )
    assert wallet.add(build_pkpass(store_card(SERIAL), signer)) is not None
    return {
        "wallet": wallet,
        "service": service,
        "events": events,
        "shown": shown,
        "online": online,
        "timers": timers,
    }


def _names(lab: dict[str, Any]) -> list[str]:
    return [kind.__name__ for kind, _ in lab["events"]]


def _logged(lab: dict[str, Any]) -> list[str]:
    return [f["message"] for kind, f in lab["events"] if kind.__name__ == "WalletLogged"]


def _push(lab: dict[str, Any], serials: Any, **card: Any) -> None:
    lab["service"].serials = serials
    lab["service"].card = store_card(SERIAL, **card)
    lab["wallet"].push_arrived("ab" * 32, "push-1")


def test_adding_registers_with_the_push_token_and_asks_what_changed(lab):
    """POST the registration with ApplePass auth and the pass type's token, then the serials."""
    [register] = lab["service"].sent("POST", "/registrations/")
    assert register.headers["authorization"] == "ApplePass a-secret-of-sixteen-plus"
    assert json.loads(register.body) == {"pushToken": "ab" * 32}
    assert lab["service"].sent("GET", f"/registrations/{PASS_TYPE_ID}")
    assert "PassRegistered" in _names(lab)


def test_a_changed_field_shows_its_message_with_the_new_value(lab):
    """changeMessage with %@ → the new value (§2)."""
    _push(lab, {"serialNumbers": [SERIAL], "lastUpdated": "7"}, points=150)
    assert lab["shown"] == [("Shop", "You now have 150 points")]
    assert lab["wallet"].get(PASS_TYPE_ID, SERIAL).fields["points"] == 150


def test_several_changed_fields_show_one_generic_message(lab):
    """Two fields with messages changed at once: "Store card changed" (§2, iOS 9+)."""
    _push(lab, {"serialNumbers": [SERIAL], "lastUpdated": "7"}, points=150, tier="Gold")
    assert lab["shown"] == [("Shop", "Store card changed")]


def test_the_next_question_carries_the_tag(lab):
    """Wallet echoes lastUpdated as passesUpdatedSince (§1)."""
    _push(lab, {"serialNumbers": [SERIAL], "lastUpdated": "7"}, points=150)
    lab["wallet"].push_arrived("ab" * 32, "push-2")
    assert lab["service"].sent("GET", "passesUpdatedSince=7")


def test_notifications_off_updates_silently(lab):
    """Allow Notifications off: the pass changes, nothing is shown, the reason is recorded."""
    lab["wallet"].set_notifications(PASS_TYPE_ID, SERIAL, False)
    _push(lab, {"serialNumbers": [SERIAL], "lastUpdated": "7"}, points=150)
    assert lab["shown"] == []
    assert lab["wallet"].get(PASS_TYPE_ID, SERIAL).fields["points"] == 150
    assert "NotificationSuppressed" in _names(lab)


def test_an_integer_tag_is_logged_and_nothing_is_fetched(lab):
    """lastUpdated must be a JSON string; an integer stops the update (§1, S A16)."""
    before = len(lab["service"].sent("GET", "/v1/passes/"))
    _push(lab, {"serialNumbers": [SERIAL], "lastUpdated": 7}, points=150)
    assert len(lab["service"].sent("GET", "/v1/passes/")) == before
    assert any("not a string" in m for m in _logged(lab))
    assert lab["service"].sent("POST", "/v1/log")


def test_serials_with_an_unchanged_tag_are_logged(lab):
    """The device's 'lastUpdated tag (…) remained the same' message (§3)."""
    _push(lab, {"serialNumbers": [SERIAL], "lastUpdated": "7"}, points=150)
    _push(lab, {"serialNumbers": [SERIAL], "lastUpdated": "7"}, points=151)
    assert any("the lastUpdated tag (7) remained the same" in m for m in _logged(lab))


def test_a_serial_listed_many_times_is_fetched_once(lab):
    """A list that names one serial 1,000 times (and junk that is not a serial): one fetch."""
    _push(lab, {"serialNumbers": [SERIAL] * 1000 + [7, None], "lastUpdated": "7"}, points=150)
    assert len(lab["service"].sent("GET", "/v1/passes/")) == 1


def test_a_pass_without_last_modified_is_taken_and_logged(lab):
    """No Last-Modified: "did not provide a 'last-modified' header" (§3)."""
    lab["service"].last_modified = None
    _push(lab, {"serialNumbers": [SERIAL], "lastUpdated": "7"}, points=150)
    assert any("did not provide a 'last-modified' header" in m for m in _logged(lab))
    assert lab["wallet"].get(PASS_TYPE_ID, SERIAL).fields["points"] == 150


def test_an_invalid_updated_pass_is_refused_and_the_old_one_kept(lab):
    """A pass that fails the checks: 'Received invalid pass data', old pass kept (§2)."""
    _push(lab, {"serialNumbers": [SERIAL], "lastUpdated": "7"}, points=150, teamIdentifier="X")
    assert any("Received invalid pass data" in m for m in _logged(lab))
    assert lab["wallet"].get(PASS_TYPE_ID, SERIAL).fields["points"] == 100


def test_a_failed_fetch_is_logged_with_the_task(lab):
    """A 401 on the pass: the 'Get pass task … encountered error' line goes to /v1/log."""
    lab["service"].pass_status = 401
    _push(lab, {"serialNumbers": [SERIAL], "lastUpdated": "7"}, points=150)
    assert any("Get pass task" in m and "HTTP 401" in m for m in _logged(lab))
    [log] = lab["service"].sent("POST", "/v1/log")
    assert log.url == f"{URL}/v1/log" and json.loads(log.body)["logs"]


def test_offline_requests_wait_until_the_phone_is_online(lab):
    """Deleting the pass offline: the DELETE goes out when the phone is back (§2)."""
    lab["online"]["yes"] = False
    lab["wallet"].remove(PASS_TYPE_ID, SERIAL)
    assert not lab["service"].sent("DELETE", "/registrations/")
    lab["online"]["yes"] = True
    lab["wallet"].came_online()
    [delete] = lab["service"].sent("DELETE", "/registrations/")
    assert delete.headers["authorization"] == "ApplePass a-secret-of-sixteen-plus"


def test_the_retry_schedule_grows_then_gives_up() -> None:
    """No answer or a 5xx: waits of 10, 20, 40 s, then no fourth retry (the default, [U])."""
    failed = HttpResponse(0, error="ConnectError")
    assert [WalletRetry().wait(failed, n) for n in (1, 2, 3, 4)] == [10.0, 20.0, 40.0, None]
    assert WalletRetry(max_wait=15).wait(HttpResponse(503), 2) == 15.0


def test_only_failures_are_retried() -> None:
    """An answer that is not a failure (200, 304, 401, 404) is never tried again; a 5xx is,
    unless ``server_errors`` is off."""
    retry = WalletRetry()
    assert [retry.wait(HttpResponse(s), 1) for s in (200, 304, 401, 404)] == [None] * 4
    assert retry.wait(HttpResponse(503), 1) == 10.0
    assert WalletRetry(server_errors=False).wait(HttpResponse(503), 1) is None


def _retrying_lab(ca: LocalCA, signer: PassSigner, *failures: tuple[str, str, int]):
    service = Service(signer)
    service.failures = [
        (method, part, HttpResponse(status, error=None if status else "ConnectError"))
        for method, part, status in failures
    ]
    return _lab(ca, signer, service, Timers())


def _retried(lab: dict[str, Any]) -> list[tuple[str, int, int, float]]:
    return [
        (f["method"], f["status"], f["attempt"], f["delay"])
        for kind, f in lab["events"]
        if kind.__name__ == "WalletRequestRetried"
    ]


def test_a_registration_without_answer_is_retried_with_growing_waits(ca, signer) -> None:
    """No answer twice: the registration is sent again after 10 s, then 20 s, and then
    succeeds; nothing is logged meanwhile."""
    lab = _retrying_lab(ca, signer, ("POST", "/registrations/", 0), ("POST", "/registrations/", 0))
    assert "PassRegistered" not in _names(lab)
    assert lab["timers"].fire() == [10.0]
    assert lab["timers"].fire() == [20.0]
    assert "PassRegistered" in _names(lab)
    assert _retried(lab) == [("POST", 0, 1, 10.0), ("POST", 0, 2, 20.0)]
    assert len(lab["service"].sent("POST", "/registrations/")) == 3
    assert _logged(lab) == []


def test_the_update_pull_retries_the_serials_and_the_pass(ca, signer) -> None:
    """A 503 on "what changed?" and on the pass: each is asked again, and the update shows."""
    lab = _retrying_lab(ca, signer)
    lab["service"].failures = [
        ("GET", f"/registrations/{PASS_TYPE_ID}", HttpResponse(503)),
        ("GET", "/v1/passes/", HttpResponse(503)),
    ]
    _push(lab, {"serialNumbers": [SERIAL], "lastUpdated": "7"}, points=150)
    assert lab["timers"].fire() == [10.0]  # the serials again
    assert lab["timers"].fire() == [10.0]  # the pass again
    assert lab["shown"] == [("Shop", "You now have 150 points")]
    assert [m for m, *_ in _retried(lab)] == ["GET", "GET"]


def test_a_call_that_keeps_failing_is_given_up_and_logged(ca, signer) -> None:
    """Four 503s on the pass: three retries, then one 'Get pass task' line, whose POST to
    /v1/log is itself retried when it fails."""
    lab = _retrying_lab(ca, signer)
    lab["service"].failures = [("GET", "/v1/passes/", HttpResponse(503)) for _ in range(4)]
    lab["service"].failures.append(("POST", "/v1/log", HttpResponse(0, error="ConnectError")))
    _push(lab, {"serialNumbers": [SERIAL], "lastUpdated": "7"}, points=150)
    assert [lab["timers"].fire() for _ in range(3)] == [[10.0], [20.0], [40.0]]
    assert [m for m in _logged(lab) if "Get pass task" in m and "HTTP 503" in m]
    assert lab["timers"].fire() == [10.0]  # the log line again
    assert len(lab["service"].sent("POST", "/v1/log")) == 2
    assert lab["shown"] == []
