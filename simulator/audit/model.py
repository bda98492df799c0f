"""Checks, verdicts and what a check may use: the building blocks of ``pushsim audit``.

A :class:`Check` is a plain object tied to one rule of ``reference/sender-rules.md`` and its
sources. Its ``probe`` provokes the rule in a running simulation (its own users and phones,
faults scoped to their tokens) and judges what the fakes and the phones observed. A test can run
one check on its own: ``await check.run(AuditContext(sim))``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from devices.phone import Phone
from fakeproviders.apns.log import ApnsLogEntry
from simulator.observe import ProviderRequest
from simulator.simulation import Simulation, SimulationError

Outcome = Literal["pass", "fail", "error"]


@dataclass(frozen=True)
class Verdict:
    """What a check found: ``pass`` or ``fail`` with the evidence (counts and ids from the
    logs), or ``error`` when the check could not be carried out (the backend refused to send…)."""

    outcome: Outcome
    evidence: str

    @property
    def passed(self) -> bool:
        return self.outcome == "pass"


def passed(evidence: str) -> Verdict:
    return Verdict("pass", evidence)


def failed(evidence: str) -> Verdict:
    return Verdict("fail", evidence)


@dataclass(frozen=True)
class Check:
    """One rule a sender must follow, how to provoke it and how to judge it."""

    check_id: str
    """The rule's id in reference/sender-rules.md (``APNS-PRUNE-410``…)."""
    title: str
    rule: str
    source: str
    """Where the rule comes from (Apple's and Google's pages, sender-rules.md's keys)."""
    probe: Callable[[AuditContext], Awaitable[Verdict]]

    async def run(self, context: AuditContext) -> Verdict:
        """Provoke and judge; an unexpected failure of the harness is an ``error`` verdict."""
        try:
            return await self.probe(context)
        except (SimulationError, TimeoutError) as exc:
            return Verdict("error", f"{type(exc).__name__}: {exc}")
        finally:
            context.sim.clear_faults()


@dataclass(frozen=True)
class CheckResult:
    check: Check
    verdict: Verdict
    seconds: float


_users = itertools.count(1)

#: Seconds the clock jumps at each tick of a fast-forward (ten per FAST_STEP of real time).
FAST_STEP = 0.05


class AuditContext:
    """A check's view of the simulation: new users with phones, notifications, the fakes' logs."""

    def __init__(
        self,
        sim: Simulation,
        *,
        app_id: str | None = None,
        first: float = 2.0,
        quiet: float = 0.4,
        patience: float = 15.0,
    ) -> None:
        """How long to wait, in real seconds, for a backend other than pushsim's sender (which
        says when it is done): ``first`` for its first push after a send; ``quiet`` without a
        push after which it is taken to be done; ``patience`` for a notification to be shown."""
        self.sim = sim
        self.app_id = app_id or sim.app_ids[0]
        self.first = first
        self.quiet = quiet
        self.patience = patience

    async def user(self, platforms: Sequence[str] = ("ios",)) -> tuple[str, list[Phone]]:
        """A new user with one phone per platform given, the app installed and allowed; their
        tokens have reached the backend when this returns."""
        user_id = f"audit-{next(_users)}"
        phones: list[Phone] = []
        for platform in platforms:
            phone = self.sim.add_iphone() if platform == "ios" else self.sim.add_android()
            phone.install(self.app_id, user_id=user_id, answer="allow")
            phones.append(phone)
        await self.sim.settle()
        return user_id, phones

    def token(self, phone: Phone) -> str:
        token = phone.app(self.app_id).token
        assert token is not None, f"{phone.phone_id} has no token"
        return token

    async def notify(self, user_id: str, **fields: object) -> None:
        """Ask the sender to notify ``user_id`` and wait until it has stopped sending."""
        fields.setdefault("title", "audit")
        await self.sim.notify(user_id, **fields)  # type: ignore[arg-type]
        await self.settled()

    async def settled(self) -> None:
        await self.sim.sending_done(
            quiet=self.quiet, first=self.first, timeout=60 + self.first + self.quiet
        )

    def requests(self, token: str, since: float | None = None) -> list[ProviderRequest]:
        return self.sim.provider_requests(token=token, since=since)

    def apns_entries(self, token: str) -> list[ApnsLogEntry]:
        return [e for e in self.sim.apns.log.entries if e.token == token]

    def shown(self, phone: Phone, since: int) -> int:
        """Notifications ``phone`` displayed after timeline ``seq`` ``since``."""
        return len(
            self.sim.timeline.events("NotificationDisplayed", phone=phone.phone_id, since=since)
        )

    async def wait_shown(self, phone: Phone, since: int, timeout: float | None = None) -> bool:
        """Whether ``phone`` shows a notification after timeline ``since`` within ``timeout``
        real seconds (``patience``). Meanwhile pushsim's sender's backoff passes fast."""
        async with self._fast_forward():
            try:
                await self.sim.wait_for(
                    "NotificationDisplayed",
                    phone=phone.phone_id,
                    since=since,
                    timeout=self.patience if timeout is None else timeout,
                )
            except TimeoutError:
                return False
        return True

    @contextlib.asynccontextmanager
    async def _fast_forward(self) -> AsyncIterator[None]:
        """Run the simulation's clock about ten times faster, in steps of ``FAST_STEP``, if the
        sender is pushsim's: it waits on that clock, so its backoff and Retry-After waits keep
        their length as the fakes log them (one step longer at most) and pass in a tenth of the
        real time. Another backend waits in real time: there nothing changes."""
        if not self.sim.uses_pushsim_sender:
            yield
            return

        async def tick() -> None:
            while True:
                await asyncio.sleep(FAST_STEP / 10)
                self.sim.advance(FAST_STEP)

        ticker = asyncio.get_running_loop().create_task(tick())
        try:
            yield
        finally:
            ticker.cancel()


def short(token: str) -> str:
    return token[:10] + "…"
