"""``Simulation``: the fakes, the sender and a fleet of phones, running together on real sockets.

    async with Simulation() as sim:
        phone = sim.add_iphone()
        phone.install("com.example.app", user_id="alice", answer="allow")
        notification_id = await sim.notify("alice", title="Hello", body="World")
        await sim.wait_for("NotificationDisplayed", notification=notification_id)

Everything is an instance (DESIGN.md, principle 5): many simulations may run in one process, each
on its own ephemeral loopback ports, all reading one ``VirtualClock``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import tempfile
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from devices.app_server import AppServerMessage, WebhookRequest, WebhookTemplate
from devices.behaviour import Reaction, UserBehaviour
from devices.events import NotificationDisplayed
from devices.phone import AndroidPhone, IosPhone, Phone
from devices.wallet import WalletRetry
from fakeproviders.apns import ApnsOptions, FakeApns
from fakeproviders.ca import LocalCA
from fakeproviders.faults import Fault, FaultInjector
from fakeproviders.fcm import FakeFcm, FcmOptions
from fakeproviders.gwallet import HOST as GOOGLE_WALLET_HOST
from fakeproviders.gwallet import FakeGoogleWallet, WalletOptions
from fakeproviders.proxy import ConnectProxy, Route
from sender import ApnsClient, FcmClient, SenderServer, SenderService, SqliteStore, create_app
from sender.api import MAX_WAIT
from sender.cards import CardService, GooglePasses
from sender.google_wallet import GoogleWalletClient
from simulator.app_link import HttpAppServerLink, sender_route, webhook_route
from simulator.assertions import expect_event, expect_no_event
from simulator.backend import BackendCommand, HookError, SendHook, stop_process
from simulator.cards import CardsMixin
from simulator.clock import VirtualClock
from simulator.credentials import (
    load_or_create_apns_key,
    load_or_create_service_account,
    service_account_path,
)
from simulator.observe import ProviderRequest, observed_requests, wait_until_quiet
from simulator.timeline import Timeline
from simulator.wallet import AppleWallet, AppleWalletCredentials

#: The demo app: one bundle id / package name used on both platforms.
DEFAULT_APP_ID = "com.example.app"


@dataclass(frozen=True)
class Ports:
    """Loopback ports to listen on; 0 picks a free one (the default, so tests never collide)."""

    apns: int = 0
    """The sandbox APNs (``api.sandbox.push.apple.com``)."""
    apns_production: int = 0
    """The production APNs (``api.push.apple.com``)."""
    fcm: int = 0
    sender: int = 0
    proxy: int = 0
    google_wallet: int = 0


#: The real hosts the proxy tunnels to the fakes (reference/apns.md §1.1, reference/fcm.md §1, §3, §4).
APNS_PRODUCTION_HOSTS = ("api.push.apple.com",)
APNS_SANDBOX_HOSTS = ("api.sandbox.push.apple.com", "api.development.push.apple.com")
APNS_HOSTS = APNS_PRODUCTION_HOSTS + APNS_SANDBOX_HOSTS
FCM_HOSTS = (
    "fcm.googleapis.com",
    "oauth2.googleapis.com",
    "iid.googleapis.com",
    "fcmregistrations.googleapis.com",
    # Hosts of Google's older token URLs, which some clients hard-code (GOOGLE_TOKEN_URIS).
    "www.googleapis.com",
    "accounts.google.com",
)
PROXIED = (
    [(h, p) for h in APNS_HOSTS for p in (443, 2197)]
    + [(h, 443) for h in FCM_HOSTS]
    + [(GOOGLE_WALLET_HOST, 443)]
)
#: The Google Wallet issuer id of the simulation's loyalty cards (a Pay & Wallet console issuer).
DEFAULT_WALLET_ISSUER_ID = "3388000000022000001"


def proxy_routes(
    *,
    apns_port: int,
    fcm_port: int,
    apns_production_port: int | None = None,
    google_wallet_port: int = 0,
) -> dict[tuple[str, int], Route]:
    """CONNECT destinations → the fake that serves them: Apple's production host to the
    production APNs, the sandbox hosts to the sandbox one (reference/apns.md §1.1); the Wallet
    API only with its port."""

    def route(host: str) -> Route:
        if host in APNS_PRODUCTION_HOSTS and apns_production_port is not None:
            return Route(target_port=apns_production_port, service="apns production")
        if host in APNS_HOSTS:
            return Route(target_port=apns_port, service="apns")
        return Route(target_port=fcm_port, service="fcm")

    routes = {(host, port): route(host) for host, port in PROXIED if host != GOOGLE_WALLET_HOST}
    if google_wallet_port:
        routes[(GOOGLE_WALLET_HOST, 443)] = Route(google_wallet_port, service="google_wallet")
    return routes


# Pushes the in-process sender keeps in flight. Its default (2000) covers Apple's round trips;
# the fakes answer over loopback in microseconds, where a deep window only makes every new
# stream cost more in h2 (its open-stream count is a scan over the streams): 200 sends a
# 10,000-phone campaign faster than 2000 (pushsim bench campaign, profiled).
_SENDER_IN_FLIGHT = 200


class SimulationError(Exception):
    """The simulation was used wrongly (not started, unknown phone…) or could not start."""


class NeedsPushsimSender(SimulationError):
    """Asked for pushsim's sender API while notifications go to another backend (a portable
    scenario that needs it is reported skipped, with this message)."""


def default_state_dir() -> Path:
    """``$PUSHSIM_STATE_DIR``, else ``$XDG_STATE_HOME/pushsim``, else ``~/.local/state/pushsim``."""
    if explicit := os.environ.get("PUSHSIM_STATE_DIR"):
        return Path(explicit)
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "pushsim"


class Simulation(CardsMixin):
    """Fake APNs, fake FCM, the sender and simulated phones, sharing one clock and one timeline.
    Loyalty cards: see :class:`simulator.cards.CardsMixin`."""

    def __init__(
        self,
        *,
        state_dir: Path | str | None = None,
        clock: VirtualClock | None = None,
        app_ids: Sequence[str] = (DEFAULT_APP_ID,),
        project_id: str = "pushsim-demo",
        team_id: str | None = None,
        key_id: str | None = None,
        ports: Ports = Ports(),
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
        self._reactions: set[asyncio.Task[None]] = set()
        self.api_key = secrets.token_urlsafe(24)
        self.app_key = secrets.token_urlsafe(24)
        self._phones: dict[str, Phone] = {}
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
            await self._start()
        except BaseException:
            await self._stack.aclose()
            raise
        self._started = True

    async def _start(self) -> None:
        stack = self._stack
        self.ca = LocalCA.load_or_create(self.state_dir)
        self.apns_credentials = apns_credentials = load_or_create_apns_key(
            self.state_dir, team_id=self.apns_ids[0], key_id=self.apns_ids[1]
        )
        account = load_or_create_service_account(self.state_dir, self.project_id)
        emit = self.timeline.record

        # Both environments, one registry: a token works only on its own environment's server
        # (reference/apns.md §1.1); phones get sandbox tokens unless the app is a production build.
        # Wallet passes: a Pass Type ID certificate; its pushes go to production (wallet.md §4).
        wallet = AppleWalletCredentials(self.ca, team_id=apns_credentials.key.team_id)
        self.apns, self.apns_production = FakeApns.pair(
            clock=self.clock,
            ssl_context=wallet.server_context,
            keys=[apns_credentials.key],
            topics=(*self.app_ids, wallet.pass_type_id),
            emit=emit,
            options=self.apns_options,
            client_ca=self.ca.cert_path,
        )
        for fake, port in (
            (self.apns, self.ports.apns),
            (self.apns_production, self.ports.apns_production),
        ):
            await fake.start(port=port)
            stack.push_async_callback(fake.stop)
        self.apple_wallet = AppleWallet(wallet, retry=self.wallet_retry)
        await self.apple_wallet.start(self.apns_production, clock=self.clock)
        stack.push_async_callback(self.apple_wallet.stop)
        self.fcm = FakeFcm(
            clock=self.clock,
            ssl_context=self.ca.server_ssl_context(alpn=("h2", "http/1.1")),
            project_id=self.project_id,
            service_account=account,
            emit=emit,
            options=self.fcm_options,
        )
        await self.fcm.start(port=self.ports.fcm)
        stack.push_async_callback(self.fcm.stop)
        # The Wallet API takes the fake Google token endpoint's tokens (served with FCM's).
        self.google_wallet = FakeGoogleWallet(
            clock=self.clock,
            ssl_context=self.ca.server_ssl_context(alpn=("h2", "http/1.1")),
            oauth=self.fcm.oauth,
            issuer_id=self.wallet_issuer_id,
            issuer_users=(account.client_email,),
            emit=emit,
            options=self.wallet_options,
        )
        await self.google_wallet.start(port=self.ports.google_wallet)
        stack.push_async_callback(self.google_wallet.stop)
        self.proxy = ConnectProxy(
            proxy_routes(
                apns_port=self.apns.port,
                fcm_port=self.fcm.port,
                google_wallet_port=self.google_wallet.port,
                apns_production_port=self.apns_production.port,
            )
        )
        await self.proxy.start(port=self.ports.proxy)
        stack.push_async_callback(self.proxy.stop)
        account_path = service_account_path(self.state_dir)
        account.write(account_path, token_uri=self.fcm.token_uri)

        run_dir = Path(tempfile.mkdtemp(prefix="run-", dir=self.state_dir))
        stack.callback(shutil.rmtree, run_dir, ignore_errors=True)
        store = SqliteStore(run_dir / "sender.sqlite3")
        stack.callback(store.close)
        ca_file = str(self.ca.cert_path)
        apns_client = ApnsClient(
            url=self.apns.url,
            team_id=apns_credentials.key.team_id,
            key_id=apns_credentials.key.key_id,
            private_key_pem=apns_credentials.key.private_key_pem,
            ca_file=ca_file,
            clock=self.clock,
        )
        fcm_client = FcmClient(
            url=self.fcm.url,
            service_account_path=str(account_path),
            ca_file=ca_file,
            clock=self.clock,
        )
        self.google_wallet_client = GoogleWalletClient(
            url=self.google_wallet.url,
            issuer_id=self.wallet_issuer_id,
            service_account_path=fcm_client.credentials,  # the key is read once
            ca_file=ca_file,
            clock=self.clock,
        )
        # Close the sender's connections before the fakes stop, so the fakes need not wait for them.
        stack.push_async_callback(apns_client.aclose)
        stack.push_async_callback(fcm_client.aclose)
        stack.push_async_callback(self.google_wallet_client.aclose)
        # The API's lifespan starts and stops the service's workers.
        self.sender = SenderService(
            store, apns_client, fcm_client, self.clock, emit=emit, max_in_flight=_SENDER_IN_FLIGHT
        )
        self.cards = CardService(
            store,
            self.clock,
            emit=emit,
            google=GooglePasses(self.google_wallet_client),
            instance=self.sender.work.instance,
        )
        self.sender_server = SenderServer(
            create_app(self.sender, api_key=self.api_key, app_key=self.app_key, cards=self.cards),
            port=self.ports.sender,
        )
        await self.sender_server.start()
        stack.push_async_callback(self.sender_server.stop)
        # Passes name the web service's URL, known once the server listens.
        self.cards.apple = self.apple_wallet.passes(self.sender_server.url)

        self.sender_api = httpx.AsyncClient(
            base_url=self.sender_server.url,
            headers={"Authorization": f"Bearer {self.api_key}"},
            timeout=30.0,
        )
        stack.push_async_callback(self.sender_api.aclose)
        # Apps talk to pushsim's sender unless webhook templates point them at the user's backend.
        to_sender = sender_route(self.sender_server.url, app_key=self.app_key)

        def route(message: AppServerMessage) -> WebhookRequest | None:
            # Read at each message: the control API may change the webhooks while running.
            return webhook_route(self.webhooks)(message) if self.webhooks else to_sender(message)

        self._app_link = HttpAppServerLink(self.sender_api, route, now=self.clock.now, emit=emit)
        stack.callback(self._cancel_reactions)
        if self.backend is not None:
            from simulator.up import environment, write_trust_bundle

            endpoints = {
                **self.endpoints_of_started(),
                "trust_bundle": str(write_trust_bundle(run_dir, Path(self.ca.cert_path))),
            }
            process = await self.backend.start(environment(endpoints))
            # Stopped first: its connections close before the fakes stop.
            stack.push_async_callback(stop_process, process)

    async def stop(self) -> None:
        """Stop everything, in the reverse order of starting."""
        if self._started:
            await self._app_link.drain()
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

    # -- phones -------------------------------------------------------------------------------

    def add_iphone(self, phone_id: str | None = None, **settings: Any) -> IosPhone:
        """A new iPhone, online, talking to the fake APNs (both environments: its apps' builds
        choose). ``settings`` go to :class:`devices.ios.IosPhone` (``background_budget``,
        ``voip_failure_limit``, ``token_rules``)."""
        phone = IosPhone(
            self._new_phone_id(phone_id, "iphone"),
            **settings,
            push_service=self.apns.registry,
            clock=self.clock,
            emit=self.timeline.record,
            app_server=self._app_link,
            wallet=self.apple_wallet.phone_setup(),
        )
        self._phones[phone.phone_id] = phone
        return phone

    def add_android(
        self, phone_id: str | None = None, *, api_level: int = 34, **settings: Any
    ) -> AndroidPhone:
        """A new Android phone (API level 34 unless told), online, talking to the fake FCM, with
        Google Wallet synced by the fake Wallet API (``phone.save_pass(link)``).
        ``settings`` go to :class:`devices.android.AndroidPhone` (``token_rules``)."""
        phone = AndroidPhone(
            self._new_phone_id(phone_id, "android"),
            api_level=api_level,
            **settings,
            google_wallet=self.google_wallet.api,
            push_service=self.fcm.registry,
            clock=self.clock,
            emit=self.timeline.record,
            app_server=self._app_link,
        )
        self._phones[phone.phone_id] = phone
        return phone

    def remove_phone(self, phone_id: str) -> None:
        """Take a phone out of the fleet (it goes offline for good; its tokens stay as they are)."""
        self.phone(phone_id).go_offline()
        del self._phones[phone_id]

    @property
    def phones(self) -> list[Phone]:
        return list(self._phones.values())

    def phone(self, phone_id: str) -> Phone:
        try:
            return self._phones[phone_id]
        except KeyError:
            raise SimulationError(f"no phone {phone_id!r}") from None

    def _new_phone_id(self, wanted: str | None, prefix: str) -> str:
        self._require_started()
        if wanted is not None:
            if wanted in self._phones:
                raise SimulationError(f"a phone named {wanted!r} already exists")
            return wanted
        n = 1 + sum(1 for p in self._phones if p.startswith(prefix))
        while f"{prefix}-{n}" in self._phones:
            n += 1
        return f"{prefix}-{n}"

    # -- sending and watching -----------------------------------------------------------------

    async def settle(self) -> None:
        """Wait until every report the apps made so far has reached the sender."""
        self._require_started()
        await self._app_link.drain()
        await self.apple_wallet.drain()

    async def notify(
        self,
        user_id: str | None = None,
        *,
        title: str | None = None,
        body: str | None = None,
        kind: str = "alert",
        data: dict[str, str] | None = None,
        **options: Any,
    ) -> str:
        """Ask the sender, over its HTTP API, to notify ``user_id``; returns the notification id.

        ``options`` are the sender API's other fields: targets ``user_ids``, ``topic``,
        ``segment``, ``everyone``; ``collapse_key``, ``ttl``, ``priority``, ``badge``, ``sound``,
        ``thread_id``, ``category``. Pending app reports (tokens) are delivered first, as they
        would have been long before a real campaign.

        With a ``send_hook`` the user's backend is asked instead; the id is made here and also
        put in ``data`` (``notification_id``), so that a backend that forwards ``data`` lets
        ``wait_for(..., notification=id)`` follow the notification to the phones.
        """
        await self.settle()
        request: dict[str, Any] = {"kind": kind, "data": data or {}, **options}
        for name, value in (("user_id", user_id), ("title", title), ("body", body)):
            if value is not None:
                request[name] = value
        if self.send_hook is not None:
            return await self._notify_backend(request, self.send_hook)
        response = await self.sender_api.post("/v1/notifications", json=request)
        if response.status_code != 202:
            raise SimulationError(f"the sender refused the notification: {response.text}")
        notification_id = str(response.json()["id"])
        self._unfinished.append(notification_id)
        return notification_id

    async def _notify_backend(self, request: dict[str, Any], hook: SendHook) -> str:
        notification_id = uuid.uuid4().hex
        named = (("user_ids", "users"), ("topic", "topic"), ("condition", "condition"))
        target = next((name for key, name in named if request.get(key)), None)
        target = target or ("everyone" if request.get("everyone") else "user")
        notification = {
            "notification_id": notification_id,
            "target": target,
            **request,
            "data": {**request["data"], "notification_id": notification_id},
        }
        self._asked_at_seq = self.timeline.last_seq
        try:
            await hook.send(notification, self.sender_api)
        except HookError as exc:
            raise SimulationError(f"the backend refused the notification: {exc}") from None
        return notification_id

    @property
    def uses_pushsim_sender(self) -> bool:
        """Whether ``notify`` goes to pushsim's sender (no send hook): only then are its API's
        views (:meth:`notification`, :meth:`stats`) about what was sent."""
        return self.send_hook is None

    def _require_pushsim_sender(self, what: str) -> None:
        if not self.uses_pushsim_sender:
            raise NeedsPushsimSender(
                f"{what} reads pushsim's sender API; notifications go through the send hook to "
                "another backend"
            )

    async def stats(self, notification_id: str | None = None) -> dict[str, Any]:
        """The sender's counters (``GET /v1/stats``): sent, accepted, failed, opened, open rate…,
        for everything or for one notification."""
        self._require_pushsim_sender("stats()")
        params = {"notification_id": notification_id} if notification_id else {}
        response = await self.sender_api.get("/v1/stats", params=params)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    async def notification(self, notification_id: str, *, timeout: float = 10.0) -> dict[str, Any]:
        """The sender's record of a notification, once it has been sent to every device."""
        self._require_pushsim_sender("notification()")
        response = await self.sender_api.get(
            f"/v1/notifications/{notification_id}", params={"wait": timeout}
        )
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        if result.get("status") != "done":
            raise TimeoutError(f"notification {notification_id} not done within {timeout} s")
        return result

    async def wait_for(
        self, kind: str | type | None = None, *, timeout: float = 5.0, **filters: Any
    ) -> Any:
        """The first timeline event matching ``filters`` (see :meth:`Timeline.events`)."""
        return await self.timeline.wait_for(kind, timeout=timeout, **filters)

    async def expect(
        self, kind: str | type | None = None, *, timeout: float = 5.0, **filters: Any
    ) -> Any:
        """Like :meth:`wait_for`, but a miss is an AssertionError showing the relevant timeline."""
        return await expect_event(self.timeline, kind, timeout=timeout, **filters)

    def expect_no(self, kind: str | type | None = None, **filters: Any) -> None:
        """AssertionError, showing the relevant timeline, if such an event has happened."""
        expect_no_event(self.timeline, kind, **filters)

    def provider_requests(
        self, *, token: str | None = None, since: float | None = None
    ) -> list[ProviderRequest]:
        """Push requests the fakes answered (both request logs, oldest first), to ``token`` and
        at or after ``since`` (clock time) when given: what any sender did, pushsim's or not."""
        apns = (self.apns, self.apns_production)
        return observed_requests(apns, self.fcm, token=token, since=since)

    async def sending_done(
        self, *, quiet: float = 0.5, first: float = 2.0, timeout: float = 30.0
    ) -> None:
        """Wait until the sender has finished what it was asked to send.

        pushsim's sender says so exactly: every notification :meth:`notify` gave it is done
        (answered, retried, pruned). Another backend is judged from outside: the fakes have seen
        no push request for ``quiet`` real seconds (``first`` before the first one since it was
        last asked to send). At most ``timeout`` seconds."""
        if not self.uses_pushsim_sender:
            await wait_until_quiet(
                self.timeline, quiet=quiet, first=first, timeout=timeout, since=self._asked_at_seq
            )
            return
        async with asyncio.timeout(timeout):
            while self._unfinished:
                await self.notification(self._unfinished[0], timeout=min(timeout, MAX_WAIT))
                self._unfinished.pop(0)

    def subscribe(self, phone: Phone, topic: str, app_id: str = DEFAULT_APP_ID) -> None:
        """The app on an Android ``phone`` subscribes to an FCM ``topic`` (the Firebase SDK's
        ``subscribeToTopic``)."""
        token = phone.app(app_id).token
        if phone.platform != "android" or token is None:
            raise SimulationError(f"{phone.phone_id} has no FCM token for {app_id}")
        try:
            self.fcm.registry.subscribe(token, topic)
        except Exception as exc:  # the registry's own errors say what is wrong
            raise SimulationError(f"cannot subscribe {phone.phone_id} to {topic!r}: {exc}") from exc

    @property
    def fault_injectors(self) -> dict[str, FaultInjector]:
        """The fakes whose answers faults can decide, by provider name."""
        return {
            "apns": self.apns.faults,
            "fcm": self.fcm.faults,
            "google_wallet": self.google_wallet.api.faults,
        }

    def fault(self, provider: str, **fields: Any) -> Fault:
        """Inject a fault into ``"apns"``, ``"fcm"`` or ``"google_wallet"``: ``status``,
        ``reason``, ``retry_after``, ``latency``, ``goaway``, ``times``, ``token`` (for the Wallet
        API: a class or object id), ``topic``, ``starts_at``, ``ends_at`` (see
        :class:`fakeproviders.faults.Fault`). Returns it; ``clear_faults()`` removes all."""
        faults = self.fault_injectors
        if provider not in faults:
            raise SimulationError(f"no provider {provider!r}: use {', '.join(faults)}")
        try:
            return faults[provider].add(Fault(**fields))
        except (TypeError, ValueError) as exc:
            raise SimulationError(f"bad fault: {exc}") from None

    def clear_faults(self) -> None:
        for injector in self.fault_injectors.values():
            injector.clear()

    def simulate_users(self, behaviour: UserBehaviour) -> Callable[[], None]:
        """Let simulated users react to every notification shown from now on: tap, dismiss or
        ignore it after a delay on the clock, as ``behaviour`` decides (seeded, reproducible).
        Returns a function that stops it."""
        self._require_started()

        def on_event(event: Any) -> None:
            if isinstance(event, NotificationDisplayed):
                reaction = behaviour.react(event)
                if reaction.action != "ignore":
                    task = asyncio.get_running_loop().create_task(self._react(event, reaction))
                    self._reactions.add(task)
                    task.add_done_callback(self._reactions.discard)

        return self.timeline.subscribe(on_event)

    async def _react(self, shown: NotificationDisplayed, reaction: Reaction) -> None:
        await self.clock.sleep(reaction.after)
        phone = self._phones.get(shown.phone_id)
        if phone is None or shown.entry_id not in {e.entry_id for e in phone.notifications()}:
            return  # replaced, cleared or already handled meanwhile
        if reaction.action == "tap":
            phone.tap(shown.entry_id)
        else:
            phone.dismiss(shown.entry_id)

    def _cancel_reactions(self) -> None:
        for task in self._reactions:
            task.cancel()

    def advance(self, seconds: float) -> float:
        """Move the shared clock forward (never back); returns the new time."""
        return self.clock.advance(seconds)

    def _require_started(self) -> None:
        if not self._started:
            raise SimulationError("start the simulation first (async with Simulation() as sim)")
