"""Fake APNs and FCM for the sender's end-to-end tests (tests/e2e/test_sender_*.py).

The sender never imports this: it gets URLs, keys and the CA path, as it would for Apple and
Google. The fakes count what they accepted per token, so tests see duplicates from the provider's
side.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fakeproviders.apns import ApnsSigningKey, FakeApns
from fakeproviders.ca import LocalCA
from fakeproviders.clock import WallClock
from fakeproviders.events import NotificationAccepted, NotificationRejected
from fakeproviders.fcm import FakeFcm, ServiceAccount

APP_ID = "com.example.app"
PROJECT = "sender-e2e"


@dataclass
class Providers:
    """Running fakes, their credentials on disk, and what they accepted."""

    apns: FakeApns
    fcm: FakeFcm
    ca_file: Path
    key: ApnsSigningKey
    key_path: Path
    account_path: Path
    accepted: collections.Counter[str] = field(default_factory=collections.Counter)
    """Accepted pushes per token (APNs and FCM)."""
    rejected: list[tuple[str | None, int, str]] = field(default_factory=list)
    _phones: itertools.count[int] = field(default_factory=itertools.count)
    _waiters: list[tuple[int, asyncio.Future[None]]] = field(default_factory=list)
    total_accepted: int = 0

    def record(self, event: Any) -> None:
        if isinstance(event, NotificationAccepted):
            self.accepted[event.token] += 1
            self.total_accepted += 1
            if self._waiters:
                total = self.total_accepted
                for count, future in self._waiters:
                    if total >= count and not future.done():
                        future.set_result(None)
        elif isinstance(event, NotificationRejected):
            self.rejected.append((event.token, event.status, event.reason))

    async def wait_accepted(self, count: int, timeout: float) -> None:
        """Wait until the fakes accepted ``count`` pushes in all."""
        if self.total_accepted >= count:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((count, future))
        await asyncio.wait_for(future, timeout)

    def ios_token(self) -> str:
        return self.apns.registry.register(f"iphone-{next(self._phones)}", APP_ID)

    def android_token(self) -> str:
        return self.fcm.registry.register(f"android-{next(self._phones)}", APP_ID)

    def sender_environment(self) -> dict[str, str]:
        """The variables that point ``pushsim-sender`` at these fakes."""
        return {
            "PUSHSIM_SENDER_CA_FILE": str(self.ca_file),
            "APNS_URL": self.apns.url,
            "APNS_TEAM_ID": self.key.team_id,
            "APNS_KEY_ID": self.key.key_id,
            "APNS_KEY_PATH": str(self.key_path),
            "FCM_URL": self.fcm.url,
            "FCM_SERVICE_ACCOUNT_PATH": str(self.account_path),
        }


@contextlib.asynccontextmanager
async def running_providers(
    ca: LocalCA, folder: Path, clock: Any = None
) -> AsyncIterator[Providers]:
    """Start a fake APNs and a fake FCM on ephemeral ports; stop them afterwards."""
    clock = clock or WallClock()
    key = ApnsSigningKey.generate()
    key_path = key.write_p8(folder / f"AuthKey_{key.key_id}.p8")
    account = ServiceAccount.generate(PROJECT)
    holder: list[Providers] = []

    def emit(event: Any) -> None:
        if holder:
            holder[0].record(event)

    apns = FakeApns(
        clock=clock,
        ssl_context=ca.server_ssl_context(alpn=("h2",)),
        keys=[key],
        topics=[APP_ID],
        emit=emit,
    )
    fcm = FakeFcm(
        clock=clock,
        ssl_context=ca.server_ssl_context(alpn=("h2", "http/1.1")),
        project_id=PROJECT,
        service_account=account,
        emit=emit,
    )
    await apns.start()
    try:
        await fcm.start()
        try:
            account_path = account.write(folder / "service-account.json", fcm.token_uri)
            providers = Providers(apns, fcm, ca.cert_path, key, key_path, account_path)
            holder.append(providers)
            yield providers
        finally:
            await fcm.stop()
    finally:
        await apns.stop()
