"""Telling a card's devices of a change: the outbox's pushes, sent, retried and taken over.

A change and the pushes it owes are one write (``Store.change_card``), so a crash between the
two loses nothing. The instance that made the change sends its pushes at once; a loop sends what
else the outbox holds when it is due: retries, and pushes whose instance died (their lease ran
out) or stopped. A push leaves the outbox only with its outcome. Claims and leases are those of
campaign batches (``stores/claims.py``), so instances sharing one PostgreSQL never both send a
push while they live; a killed instance's push in flight may go out twice (at least once).

Apple (reference/wallet.md §4): an empty push on the pass type topic to each push token. The
answer is judged by the sender's own policy (``policy.judge_apns``, sender-rules.md RETRY-*):
429/5xx and no answer are sent again after ``RetryPolicy.delay`` (backoff with jitter, or the
server's Retry-After); the push goes back to the outbox with that time on the clock, so any
instance may retry it, after a crash too. 400/403/413 fail at once; 410 (and a token APNs calls
bad) drops every registration using that token.
Google (§6-§8): the card's current fields are PATCHed, ``NOTIFY_ON_UPDATE`` when the points
changed (``loyaltyPoints`` is on Google's notifying list); a new tier also gets a
``TEXT_AND_NOTIFY`` message (a text module does not notify). ``GoogleWalletClient`` already
retries 429/503 itself, so here only a Wallet API out of reach is retried: one layer of retries
(RETRY-BUDGET).

The outbox's timing (polls, leases) runs on real time like the campaign's work loop; retry
times are on the injected clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .clock import Clock
from .delivery import Attempt
from .errors import ProviderAuthError, ProviderError, ProviderUnreachable, WalletApiError
from .events import CardPushRetried, CardUpdatePushed, Emit, PassDeviceUnregistered
from .models import CardDelivery, CardPush, LoyaltyCard
from .policy import RetryPolicy, Verdict, judge_apns
from .stores import Store
from .validation import storable

if TYPE_CHECKING:
    from .cards import ApplePasses, GooglePasses

log = logging.getLogger(__name__)


class CardPusher:
    """Sends the outbox's card pushes for ``CardService``; ``apple`` and ``google`` are its
    wallets (None: not configured, and their pushes fail)."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        emit: Emit,
        *,
        instance: str,
        retry: RetryPolicy,
        rng: random.Random,
        lease: float,
        poll_interval: float,
        batch_size: int = 100,
    ) -> None:
        self.store = store
        self.clock = clock
        self.instance = instance
        self.lease = lease
        self.apple: ApplePasses | None = None
        self.google: GooglePasses | None = None
        self._emit = emit
        self._retry = retry
        self._rng = rng
        self._poll = poll_interval
        self._batch_size = batch_size
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._in_flight = 0

    async def send(self, pushes: Sequence[CardPush]) -> None:
        """Send claimed pushes, each to its outcome or back to the outbox for a retry."""
        await asyncio.gather(*(self._send(push) for push in pushes))

    async def start(self) -> None:
        """Send what the outbox holds, including what a previous run left, until ``stop``."""
        if not self._tasks:
            self._tasks = [
                asyncio.create_task(self._run(), name=f"card-pushes-{self.instance}"),
                asyncio.create_task(self._heartbeat(), name=f"card-leases-{self.instance}"),
            ]

    async def stop(self) -> None:
        """Stop sending and give this instance's claims back (pushes stay in the outbox)."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if tasks:
            self.store.release_claims(self.instance)

    def wake(self) -> None:
        """Look at the outbox now."""
        self._wake.set()

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                pushes = self.store.claim_card_pushes(
                    self.instance, self.lease, self.clock.now(), self._batch_size
                )
            except Exception:
                # The database may be restarting: the leases keep the pushes for later.
                log.exception("claiming card pushes failed")
                pushes = []
            for push in pushes:
                if push.taken_over_from is not None:
                    log.warning(
                        "took over the push of card %s version %d from %s",
                        push.card_id,
                        push.version,
                        push.taken_over_from,
                    )
            if pushes:
                await self.send(pushes)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll)

    async def _heartbeat(self) -> None:
        """Keep the leases of pushes in flight (Google's client may wait out a Retry-After)
        from running out; with none in flight, a push left claimed lapses and is taken again."""
        while True:
            await asyncio.sleep(self.lease / 3)
            if not self._in_flight:
                continue
            try:
                self.store.renew_claims(self.instance, self.lease)
            except Exception:
                log.exception("renewing the leases of card pushes failed")

    async def _send(self, push: CardPush) -> None:
        self._in_flight += 1
        try:
            card = self.store.get_card(push.card_id)
            if card is None:  # pragma: no cover - cards are never deleted
                return
            if card.platform == "android":
                answer = await self._tell_google(card, push)
            else:
                answer = await self._push_apple(card, push)
            if answer.verdict is Verdict.RETRY:
                delay = self._retry.delay(push.attempts + 1, answer.retry_after, self._rng.random())
                if delay is not None:
                    self._back_to_outbox(push, answer, delay)
                    return
            self.store.finish_card_push(push, self._outcome(push, answer))
            if answer.verdict is Verdict.PRUNE:
                self._drop(push.target, answer.reason or "")
        except Exception:
            log.exception("the push of card %s to %s failed", push.card_id, push.target)
            # Back to the outbox for later (if the database allows; else its lease lapses).
            delay = self._retry.delay(push.attempts + 1, None) or self._retry.max_delay
            with contextlib.suppress(Exception):
                self.store.retry_card_push(push, self.clock.now() + delay)
        finally:
            self._in_flight -= 1

    async def _push_apple(self, card: LoyaltyCard, push: CardPush) -> Attempt:
        """One empty push on the pass type topic (wallet.md §4), judged by the sender's policy."""
        apple = self.apple
        if apple is None or apple.apns is None:
            return Attempt(Verdict.FAILED, 0, None, "ApnsNotConfigured")
        headers = {} if apple.push_type is None else {"apns-push-type": apple.push_type}
        try:
            result = await apple.apns.send_encoded(push.target, card.program, headers, b"{}")
        except ProviderUnreachable as exc:
            log.warning("pass push for %s: %s", card.card_id, exc)
            return Attempt(Verdict.RETRY, 0, None, "ProviderUnreachable")
        except ProviderAuthError as exc:
            log.error("pass push for %s: credentials refused: %s", card.card_id, exc)
            return Attempt(Verdict.AUTH, 0, None, "ProviderAuthError")
        registered_at = 0.0
        if result.status != 200:
            # A 410 prunes only registrations older than its timestamp (APNS-410-TS).
            registered_at = max(
                (
                    r.registered_at
                    for r in self.store.pass_registrations(card.program, card.card_id)
                    if r.push_token == push.target
                ),
                default=0.0,
            )
        verdict = judge_apns(result.status, result.reason, result.timestamp_ms, registered_at)
        return Attempt(verdict, result.status, result.apns_id, result.reason, result.retry_after)

    async def _tell_google(self, card: LoyaltyCard, push: CardPush) -> Attempt:
        """PATCH the object's current fields, notifying for new points; a new tier also gets a
        notifying message. Over Google's notification quota (403 quotaExceeded) the same step
        is sent again without notifying, as Google advises (§7), and the outcome says
        ``quotaExceeded``."""
        google = self.google
        if google is None:
            return Attempt(Verdict.FAILED, 0, None, "GoogleWalletNotConfigured")
        client = google.client

        async def patch(notify: bool) -> None:
            await client.patch_object(
                card.card_id, google_fields(card.points, card.tier), notify=notify
            )

        async def tell(notify: bool) -> None:
            await client.add_message(
                card.card_id, header="Tier", body=f"Your tier is now {card.tier}", notify=notify
            )

        steps = [(patch, push.points_changed)]
        if push.tier_changed:
            steps.append((tell, True))
        answer = Attempt(Verdict.ACCEPTED, 200, None, None)
        try:
            for step, notify in steps:
                try:
                    await step(notify)
                except WalletApiError as exc:
                    if not (notify and exc.quota_exceeded):
                        raise
                    await step(False)
                    answer = Attempt(Verdict.FAILED, 403, None, exc.reason)
        except WalletApiError as exc:
            reason = exc.reason or exc.rpc_status or "WalletApiError"
            return Attempt(Verdict.FAILED, exc.status, None, reason)
        except ProviderUnreachable:
            return Attempt(Verdict.RETRY, 0, None, "ProviderUnreachable")
        except ProviderError as exc:
            return Attempt(Verdict.FAILED, 0, None, type(exc).__name__)
        return answer

    def _back_to_outbox(self, push: CardPush, answer: Attempt, delay: float) -> None:
        now = self.clock.now()
        self.store.retry_card_push(push, now + delay)
        self._emit(
            CardPushRetried(
                at=now,
                card_id=push.card_id,
                version=push.version,
                token=push.target,
                status=answer.status,
                reason=answer.reason or "",
                delay=delay,
            )
        )
        self.wake()

    def _outcome(self, push: CardPush, answer: Attempt) -> CardDelivery:
        """The push's outcome, also told to the timeline."""
        now = self.clock.now()
        accepted = answer.status == 200
        # Kept as the provider said it, except NUL, which PostgreSQL cannot store.
        reason = None if accepted else storable(answer.reason)
        push_id = storable(answer.push_id)
        self._emit(
            CardUpdatePushed(
                at=now,
                card_id=push.card_id,
                version=push.version,
                token=push.target,
                status=answer.status,
                reason=reason,
                push_id=push_id,
            )
        )
        return CardDelivery(
            card_id=push.card_id,
            version=push.version,
            target=push.target,
            device_library_id=push.device_library_id,
            outcome="accepted" if accepted else "failed",
            status=answer.status,
            reason=reason,
            push_id=push_id,
            at=now,
            attempts=push.attempts + 1,
        )

    def _drop(self, token: str, reason: str) -> None:
        """A dead push token: forget every registration using it (wallet.md §4)."""
        for dropped in self.store.drop_push_token(token):
            self._emit(
                PassDeviceUnregistered(
                    at=self.clock.now(),
                    card_id=dropped.serial_number,
                    device_library_id=dropped.device_library_id,
                    reason=reason,
                )
            )


def google_fields(points: int, tier: str) -> dict[str, Any]:
    """The loyalty object's fields that carry the card's points and tier."""
    return {
        "loyaltyPoints": {"label": "Points", "balance": {"int": points}},
        "textModulesData": [{"id": "tier", "header": "Tier", "body": tier}],
    }
