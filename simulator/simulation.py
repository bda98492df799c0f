"""``Simulation``: the fakes, the sender and a fleet of phones, running together on real sockets.

    async with Simulation() as sim:
        phone = sim.add_iphone()
        phone.install("com.example.app", user_id="alice", answer="allow")
        notification_id = await sim.notify("alice", title="Hello", body="World")
        await sim.wait_for("NotificationDisplayed", notification=notification_id)

Everything is an instance (DESIGN.md, principle 5): many simulations may run in one process, each
on its own ephemeral loopback ports, all reading one ``VirtualClock``.

The parts live next door: starting (:mod:`simulator.startup`), phones (:mod:`simulator.phones`),
sending and watching (:mod:`simulator.sending`), faults (:mod:`simulator.faults`), loyalty cards
(:mod:`simulator.cards`), simulated users (:mod:`simulator.reactions`), ports and proxy routes
(:mod:`simulator.network`); their public names are importable from here as before.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx

from devices.app_server import WebhookTemplate
from devices.behaviour import UserBehaviour
from devices.phone import Phone
from devices.wallet import WalletRetry
from fakeproviders.apns import ApnsOptions, FakeApns
from fakeproviders.ca import LocalCA
from fakeproviders.fcm import FakeFcm, FcmOptions
from fakeproviders.gwallet import FakeGoogleWallet, WalletOptions
from fakeproviders.proxy import ConnectProxy
from sender import SenderServer, SenderService
from sender.cards import CardService
from sender.google_wallet import GoogleWalletClient
from simulator.backend import BackendCommand, SendHook
from simulator.cards import CardsMixin
from simulator.clock import VirtualClock
from simulator.credentials import ApnsCredentials, service_account_path
from simulator.errors import NeedsPushsimSender, SimulationError
from simulator.faults import FaultsMixin
from simulator.network import (
    APNS_HOSTS,
    APNS_PRODUCTION_HOSTS,
    APNS_SANDBOX_HOSTS,
    FCM_HOSTS,
    PROXIED,
    Ports,
    proxy_routes,
)
from simulator.phones import DEFAULT_APP_ID, PhonesMixin
from simulator.reactions import UserReactions
from simulator.sending import SendingMixin
from simulator.startup import start_services
from simulator.timeline import Timeline
from simulator.wallet import AppleWallet

__all__ = [
    "APNS_HOSTS",
    "APNS_PRODUCTION_HOSTS",
    "APNS_SANDBOX_HOSTS",
    "DEFAULT_APP_ID",
    "DEFAULT_WALLET_ISSUER_ID",
    "FCM_HOSTS",
    "PROXIED",
    "NeedsPushsimSender",
    "Ports",
    "Simulation",
    "SimulationError",
    "default_state_dir",
    "proxy_routes",
]

#: The Google Wallet issuer id of the simulation's loyalty cards (a Pay & Wallet console issuer).
DEFAULT_WALLET_ISSUER_ID = "3388000000022000001"


def default_state_dir() -> Path:
    """``$PUSHSIM_STATE_DIR``, else ``$XDG_STATE_HOME/pushsim``, else ``~/.local/state/pushsim``."""
    if explicit := os.environ.get("PUSHSIM_STATE_DIR"):
        return Path(explicit)
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "pushsim"


class Simulation(PhonesMixin, SendingMixin, FaultsMixin, CardsMixin):
    """Fake APNs, fake FCM, the sender and simulated phones, sharing one clock and one timeline.
    Phones, sending, faults and loyalty cards: see the mixins' modules."""

    # What a started simulation runs (set by simulator.startup.start_services).
    ca: LocalCA
    apns_credentials: ApnsCredentials
    apns: FakeApns
    """The sandbox APNs."""
    apns_production: FakeApns
    apple_wallet: AppleWallet
    fcm: FakeFcm
    google_wallet: FakeGoogleWallet
    proxy: ConnectProxy
    google_wallet_client: GoogleWalletClient
    sender: SenderService
    cards: CardService
    sender_server: SenderServer
    sender_api: httpx.AsyncClient
    """A client of the sender's HTTP API, with the simulation's API key."""

    def __init__(
        self,
        *,
        state_dir: Path | str | None = None,
        clock: VirtualClock | None = None,
        app_ids: Sequence[str] = (DEFAULT_APP_ID,),
        project_id: str = "pushsim-demo",
        team_id: str | None = None,
        key_id: str | None = None,
        ports: Ports = Ports(),  # noqa: B008 (a frozen dataclass)
        webhooks: Sequence[WebhookTemplate] = (),
        send_hook: SendHook | None = None,
        backend: BackendCommand | None = None,
        apns_options: ApnsOptions | None = None,
        wallet_issuer_id: str = DEFAULT_WALLET_ISSUER_ID,
        wallet_options: WalletOptions | None = None,
        fcm_options: FcmOptions | None = None,
        wallet_retry: WalletRetry | None = None,
    ) -> None:
        """``app_ids`` are the apps the fakes serve; ``team_id``/``key_id`` and ``project_id``
        reuse a team's own ids. A user's own backend comes in through three hooks:
        ``webhooks`` (where apps post tokens and engagement), ``send_hook`` (how ``notify`` asks
        the backend to send) and ``backend`` (a process started with the fakes' environment).
        ``apns_options`` tune both fake APNs environments (e.g. ``ApnsOptions(
        invalidation_delay=0)`` for a 410 right after the first push that reached an uninstalled
        app; the default is a day, reference/devices.md §1.5); ``fcm_options`` the fake FCM
        (e.g. ``FcmOptions(uninstall_delay=3600)``: UNREGISTERED an hour after the phone reported
        an uninstalled app; the default is 0, devices.md §2.6); ``wallet_retry`` when the
        iPhones' Wallet tries a failed web-service call again (Apple's schedule is unknown: the
        default is 4 tries, 10 s apart doubling, on the simulation's clock)."""
        self.state_dir = Path(state_dir) if state_dir is not None else default_state_dir()
        self.clock = clock or VirtualClock()
        self.timeline = Timeline()
        self.app_ids = tuple(app_ids)
        self.project_id = project_id
        self.apns_ids = (team_id, key_id)
        self.ports = ports
        self.webhooks = tuple(webhooks)
        self.send_hook = send_hook
        # Notifications given to pushsim's sender that sending_done() has not yet seen finished.
        self._unfinished: list[str] = []
        # The timeline's seq when another backend was last asked to send: its pushes after it,
        # even those answered before sending_done() is called, show that it has started.
        self._asked_at_seq = 0
        self.backend = backend
        self.apns_options = apns_options
        self.wallet_issuer_id = wallet_issuer_id
        self.wallet_options = wallet_options
        self.fcm_options = fcm_options
        self.wallet_retry = wallet_retry or WalletRetry()
        self.api_key = secrets.token_urlsafe(24)
        self.app_key = secrets.token_urlsafe(24)
        self._phones: dict[str, Phone] = {}
        self._phone_numbers: dict[str, int] = {}
        self._users = UserReactions(self.timeline, self.clock, self._phones.get)
        self._started = False
        self._stack = contextlib.AsyncExitStack()

    # -- lifecycle ----------------------------------------------------------------------------

    async def __aenter__(self) -> Simulation:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Start the fakes, the sender and the apps' link to it, each on an ephemeral port."""
        if self._started:
            raise SimulationError("the simulation is already running")
        self._stack = contextlib.AsyncExitStack()
        try:
            self._app_link = await start_services(self, self._stack)
            # Reactions still waiting are dropped first when the simulation stops.
            self._stack.callback(self._users.cancel)
        except BaseException:
            await self._stack.aclose()
            raise
        self._started = True

    async def stop(self) -> None:
        """Stop everything, in the reverse order of starting, once the phones' requests already
        on their way are answered (a Wallet registration cut off by the sender's shutdown would
        wait for its HTTP timeout)."""
        if self._started:
            await self._app_link.drain()
            await self.apple_wallet.drain()
        self._started = False
        await self._stack.aclose()

    async def reset(self) -> None:
        """Back to an empty simulation on the same ports: no phones, no tokens, no notifications,
        an empty timeline. The clock keeps its time (it never goes back); keys and CA are kept."""
        self._require_started()
        bound = Ports(
            apns=self.apns.port,
            apns_production=self.apns_production.port,
            fcm=self.fcm.port,
            sender=self.sender_server.port,
            proxy=self.proxy.port,
            google_wallet=self.google_wallet.port,
        )
        await self.stop()
        self._phones.clear()
        self._phone_numbers.clear()
        self._unfinished.clear()
        self.timeline.clear()
        self.ports = bound
        await self.start()

    @property
    def endpoints(self) -> dict[str, Any]:
        """URLs and credentials, in the shape of ``endpoints.json`` (DESIGN.md)."""
        self._require_started()
        return self.endpoints_of_started()

    def endpoints_of_started(self) -> dict[str, Any]:
        credentials = self.apns_credentials

        def apns(fake: FakeApns) -> dict[str, Any]:
            return {
                "url": fake.url,
                "environment": fake.environment,
                "team_id": credentials.key.team_id,
                "key_id": credentials.key.key_id,
                "key_path": str(credentials.key_path),
                "topics": list(self.app_ids),
            }

        return {
            "ca_cert": str(self.ca.cert_path),
            # "apns" is the sandbox, as before both environments ran.
            "apns": apns(self.apns),
            "apns_production": apns(self.apns_production),
            "fcm": {
                "url": self.fcm.url,
                "project_id": self.project_id,
                "service_account_path": str(service_account_path(self.state_dir)),
            },
            "google_wallet": {
                "url": self.google_wallet.url,
                "issuer_id": self.wallet_issuer_id,
                "service_account_path": str(service_account_path(self.state_dir)),
            },
            "apple_wallet": self.apple_wallet.endpoints(self.apns_production.url),
            "sender": {"url": self.sender_server.url, "api_key": self.api_key},
            "proxy": {"url": self.proxy.url, "hosts": sorted(f"{h}:{p}" for h, p in PROXIED)},
        }

    # -- apps, users and the clock ------------------------------------------------------------

    async def settle(self) -> None:
        """Wait until every report the apps made so far has reached the sender."""
        self._require_started()
        await self._app_link.drain()
        await self.apple_wallet.drain()

    def simulate_users(self, behaviour: UserBehaviour) -> Callable[[], None]:
        """Let simulated users react to every notification shown from now on: tap, dismiss or
        ignore it after a delay on the clock, as ``behaviour`` decides (seeded, reproducible).
        Returns a function that stops it."""
        self._require_started()
        return self._users.start(behaviour)

    def advance(self, seconds: float) -> float:
        """Move the shared clock forward (never back); returns the new time."""
        return self.clock.advance(seconds)

    def _require_started(self) -> None:
        if not self._started:
            raise SimulationError("start the simulation first (async with Simulation() as sim)")
