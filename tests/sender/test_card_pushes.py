"""Pass pushes from the outbox (sender/card_pushes.py): retried by the sender's policy, pruned
on 410, never retried on a permanent error, and sent by the loop when due. APNs is scripted
through ApnsClient's transport seam; the clock is manual."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from sender import SqliteStore
from sender.cards import CardService
from sender.events import CardPushRetried, CardUpdatePushed, PassDeviceUnregistered, SenderEvent
from sender.models import PassRegistration
from sender.pkpass import PassSigner
from sender.policy import RetryPolicy
from tests.sender.conftest import ManualClock
from tests.wallet_support import PASS_TYPE_ID, scripted_passes, signer_for

TOKEN = "ab" * 32
REGISTERED_AT = 1_000.0


@pytest.fixture(scope="module")
def signer(ca) -> PassSigner:
    return signer_for(ca)


class Apns:
    """Answers pass pushes from a script of (status, reason, headers), then 200s."""

    def __init__(self) -> None:
        self.script: list[tuple[int, str | None, dict[str, str], dict[str, Any]]] = []
        self.requests: list[httpx.Request] = []

    def answer(self, status: int, reason: str | None = None, **extra: Any) -> None:
        headers = {"retry-after": str(extra.pop("retry_after"))} if "retry_after" in extra else {}
        self.script.append((status, reason, headers, extra))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not self.script:
            return httpx.Response(200, headers={"apns-id": request.headers["apns-id"]})
        status, reason, headers, extra = self.script.pop(0)
        if status == 0:
            raise httpx.ConnectError("connection refused")
        return httpx.Response(
            status, headers=headers, content=json.dumps({"reason": reason, **extra})
        )


@pytest.fixture
async def world(signer: PassSigner) -> AsyncIterator[dict[str, Any]]:
    clock, apns, events, pushed = ManualClock(), Apns(), [], asyncio.Event()

    def emit(event: SenderEvent) -> None:
        events.append(event)
        if isinstance(event, CardUpdatePushed):
            pushed.set()

    store = SqliteStore(":memory:")
    passes = scripted_passes(signer, clock, apns)
    cards = CardService(
        store,
        clock,
        emit,
        apple=passes,
        retry=RetryPolicy(max_attempts=3, base_delay=2.0, jitter=0.0),
        rng=random.Random(7),
        poll_interval=0.01,
    )
    card = await cards.issue("alice", "ios", points=1)
    store.register_pass(
        PassRegistration(
            device_library_id="device-1",
            pass_type_id=PASS_TYPE_ID,
            serial_number=card.card_id,
            push_token=TOKEN,
            registered_at=REGISTERED_AT,
        )
    )
    yield {
        "cards": cards,
        "card": card,
        "apns": apns,
        "clock": clock,
        "store": store,
        "events": events,
        "pushed": pushed,
    }
    await cards.stop()
    assert passes.apns is not None
    await passes.apns.aclose()
    store.close()


def _of(events: list[SenderEvent], kind: type) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]


async def _send_due(world: dict[str, Any]) -> None:
    """What the outbox loop does once: claim what is due now and send it."""
    cards, clock = world["cards"], world["clock"]
    pushes = world["store"].claim_card_pushes("other", 30, clock.now(), 10)
    await cards.pusher.send(pushes)


async def test_a_5xx_push_waits_in_the_outbox_and_is_sent_again_after_the_backoff(world) -> None:
    """503: the answer shows the device as pending and the retry's delay is the policy's
    backoff; before it nothing is due, after it the push goes out again (same outbox row)."""
    world["apns"].answer(503, "ServiceUnavailable")
    update = await world["cards"].change(world["card"].card_id, points=5)
    assert (update.outcomes, update.pending) == ((), (TOKEN,))
    (retried,) = _of(world["events"], CardPushRetried)
    assert (retried.status, retried.reason, retried.delay) == (503, "ServiceUnavailable", 2.0)
    world["clock"].advance(1.9)
    await _send_due(world)
    assert len(world["apns"].requests) == 1
    world["clock"].advance(0.1)
    await _send_due(world)
    (outcome,) = world["cards"].updates(world["card"].card_id)[-1].outcomes
    assert (outcome.status, outcome.attempts, outcome.outcome) == (200, 2, "accepted")
    assert world["cards"].updates(world["card"].card_id)[-1].pending == ()


async def test_retry_after_is_honoured(world) -> None:
    """429 with Retry-After: 120 waits 120 s, not the backoff."""
    world["apns"].answer(429, "TooManyRequests", retry_after=120)
    await world["cards"].change(world["card"].card_id, points=5)
    (retried,) = _of(world["events"], CardPushRetried)
    assert retried.delay == 120.0
    world["clock"].advance(119)
    await _send_due(world)
    assert len(world["apns"].requests) == 1


async def test_no_answer_is_retried(world) -> None:
    """APNs out of reach (connection refused) is worth another try."""
    world["apns"].answer(0)
    update = await world["cards"].change(world["card"].card_id, points=5)
    assert update.pending == (TOKEN,)
    assert _of(world["events"], CardPushRetried)[0].reason == "ProviderUnreachable"


@pytest.mark.parametrize(
    ("status", "reason"),
    [(400, "BadTopic"), (403, "BadCertificate"), (403, "Forbidden"), (413, "PayloadTooLarge")],
)
async def test_permanent_errors_are_never_retried(world, status: int, reason: str) -> None:
    """400, 403 and 413 fail at once (RETRY-NEVER-PERM); the registration stays."""
    world["apns"].answer(status, reason)
    update = await world["cards"].change(world["card"].card_id, points=5)
    (outcome,) = update.outcomes
    assert (outcome.status, outcome.reason, outcome.attempts, update.pending) == (
        status,
        reason,
        1,
        (),
    )
    assert _of(world["events"], CardPushRetried) == []
    assert world["cards"].devices(world["card"])


async def test_out_of_attempts_the_push_fails(world) -> None:
    """Always 503: after the policy's max_attempts (3) the push fails and leaves the outbox."""
    for _ in range(3):
        world["apns"].answer(503, "ServiceUnavailable")
    await world["cards"].change(world["card"].card_id, points=5)
    for delay in (2.0, 4.0):
        world["clock"].advance(delay)
        await _send_due(world)
    update = world["cards"].updates(world["card"].card_id)[-1]
    (outcome,) = update.outcomes
    assert (outcome.status, outcome.attempts, update.pending) == (503, 3, ())
    assert [e.delay for e in _of(world["events"], CardPushRetried)] == [2.0, 4.0]


@pytest.mark.parametrize(("later", "pruned"), [(True, True), (False, False)])
async def test_410_drops_the_registration_unless_it_is_newer(world, later: bool, pruned: bool):
    """410 Unregistered drops the token's registrations when its timestamp is later than the
    registration (APNS-410-TS); a device that registered again since keeps it."""
    stamp = (REGISTERED_AT + (10 if later else -10)) * 1000
    world["apns"].answer(410, "Unregistered", timestamp=int(stamp))
    update = await world["cards"].change(world["card"].card_id, points=5)
    assert [o.status for o in update.outcomes] == [410]
    assert bool(_of(world["events"], PassDeviceUnregistered)) is pruned
    assert (world["cards"].devices(world["card"]) == []) is pruned


async def test_the_outbox_loop_sends_a_retry_when_it_is_due(world) -> None:
    """Started, the service's own loop sends the waiting push once its time has come."""
    world["apns"].answer(503, "ServiceUnavailable")
    await world["cards"].change(world["card"].card_id, points=5)
    assert not world["pushed"].is_set()
    await world["cards"].start()
    world["clock"].advance(2.0)
    await asyncio.wait_for(world["pushed"].wait(), 10)
    (outcome,) = world["cards"].updates(world["card"].card_id)[-1].outcomes
    assert (outcome.status, outcome.attempts) == (200, 2)


async def test_a_push_that_fails_unexpectedly_goes_back_to_the_outbox(world, monkeypatch) -> None:
    """A bug while sending does not lose the push, nor keep it claimed: it waits in the outbox
    for the policy's backoff, then goes out."""

    async def broken(card: Any, push: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(world["cards"].pusher, "_push_apple", broken)
    update = await world["cards"].change(world["card"].card_id, points=5)
    assert update.pending == (TOKEN,)
    monkeypatch.undo()
    world["clock"].advance(2.0)
    await _send_due(world)
    (outcome,) = world["cards"].updates(world["card"].card_id)[-1].outcomes
    assert (outcome.status, outcome.attempts) == (200, 2)
