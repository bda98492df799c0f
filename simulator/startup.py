"""Starting a ``Simulation``: the fakes, then the sender, then the apps' link to it.

Each part is stopped by the simulation's exit stack, in the reverse order of starting.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from devices.app_server import AppServerMessage, WebhookRequest
from fakeproviders.apns import FakeApns
from fakeproviders.ca import LocalCA
from fakeproviders.fcm import FakeFcm
from fakeproviders.gwallet import FakeGoogleWallet
from fakeproviders.proxy import ConnectProxy
from sender import ApnsClient, FcmClient, SenderServer, SenderService, SqliteStore, create_app
from sender.cards import CardService, GooglePasses
from sender.google_wallet import GoogleWalletClient
from simulator.app_link import HttpAppServerLink, sender_route, webhook_route
from simulator.backend import stop_process
from simulator.credentials import (
    load_or_create_apns_key,
    load_or_create_service_account,
    service_account_path,
)
from simulator.network import proxy_routes
from simulator.wallet import AppleWallet, AppleWalletCredentials

if TYPE_CHECKING:
    from simulator.simulation import Simulation

# Pushes the in-process sender keeps in flight. Its default (2000) covers Apple's round trips;
# the fakes answer over loopback in microseconds, where a deep window only makes every new
# stream cost more in h2 (its open-stream count is a scan over the streams): 200 sends a
# 10,000-phone campaign faster than 2000 (pushsim bench campaign, profiled).
_SENDER_IN_FLIGHT = 200


async def start_services(sim: Simulation, stack: contextlib.AsyncExitStack) -> HttpAppServerLink:
    """Start what ``sim`` runs, set it on ``sim`` (``apns``, ``fcm``, ``sender``…) and push each
    part's stop onto ``stack``; returns the apps' link to the sender."""
    sim.ca = LocalCA.load_or_create(sim.state_dir)
    sim.apns_credentials = apns_credentials = load_or_create_apns_key(
        sim.state_dir, team_id=sim.apns_ids[0], key_id=sim.apns_ids[1]
    )
    account = load_or_create_service_account(sim.state_dir, sim.project_id)
    emit = sim.timeline.record

    # Both environments, one registry: a token works only on its own environment's server
    # (reference/apns.md §1.1); phones get sandbox tokens unless the app is a production build.
    # Wallet passes: a Pass Type ID certificate; its pushes go to production (wallet.md §4).
    wallet = AppleWalletCredentials(sim.ca, team_id=apns_credentials.key.team_id)
    sim.apns, sim.apns_production = FakeApns.pair(
        clock=sim.clock,
        ssl_context=wallet.server_context,
        keys=[apns_credentials.key],
        topics=(*sim.app_ids, wallet.pass_type_id),
        emit=emit,
        options=sim.apns_options,
        client_ca=sim.ca.cert_path,
    )
    for fake, port in (
        (sim.apns, sim.ports.apns),
        (sim.apns_production, sim.ports.apns_production),
    ):
        await fake.start(port=port)
        stack.push_async_callback(fake.stop)
    sim.apple_wallet = AppleWallet(wallet, retry=sim.wallet_retry)
    await sim.apple_wallet.start(sim.apns_production, clock=sim.clock)
    stack.push_async_callback(sim.apple_wallet.stop)
    sim.fcm = FakeFcm(
        clock=sim.clock,
        ssl_context=sim.ca.server_ssl_context(alpn=("h2", "http/1.1")),
        project_id=sim.project_id,
        service_account=account,
        emit=emit,
        options=sim.fcm_options,
    )
    await sim.fcm.start(port=sim.ports.fcm)
    stack.push_async_callback(sim.fcm.stop)
    # The Wallet API takes the fake Google token endpoint's tokens (served with FCM's).
    sim.google_wallet = FakeGoogleWallet(
        clock=sim.clock,
        ssl_context=sim.ca.server_ssl_context(alpn=("h2", "http/1.1")),
        oauth=sim.fcm.oauth,
        issuer_id=sim.wallet_issuer_id,
        issuer_users=(account.client_email,),
        emit=emit,
        options=sim.wallet_options,
    )
    await sim.google_wallet.start(port=sim.ports.google_wallet)
    stack.push_async_callback(sim.google_wallet.stop)
    sim.proxy = ConnectProxy(
        proxy_routes(
            apns_port=sim.apns.port,
            fcm_port=sim.fcm.port,
            google_wallet_port=sim.google_wallet.port,
            apns_production_port=sim.apns_production.port,
        )
    )
    await sim.proxy.start(port=sim.ports.proxy)
    stack.push_async_callback(sim.proxy.stop)
    account_path = service_account_path(sim.state_dir)
    account.write(account_path, token_uri=sim.fcm.token_uri)

    run_dir = Path(tempfile.mkdtemp(prefix="run-", dir=sim.state_dir))
    stack.callback(shutil.rmtree, run_dir, ignore_errors=True)
    store = SqliteStore(run_dir / "sender.sqlite3")
    stack.callback(store.close)
    ca_file = str(sim.ca.cert_path)
    apns_client = ApnsClient(
        url=sim.apns.url,
        team_id=apns_credentials.key.team_id,
        key_id=apns_credentials.key.key_id,
        private_key_pem=apns_credentials.key.private_key_pem,
        ca_file=ca_file,
        clock=sim.clock,
    )
    fcm_client = FcmClient(
        url=sim.fcm.url,
        service_account_path=str(account_path),
        ca_file=ca_file,
        clock=sim.clock,
    )
    sim.google_wallet_client = GoogleWalletClient(
        url=sim.google_wallet.url,
        issuer_id=sim.wallet_issuer_id,
        service_account_path=fcm_client.credentials,  # the key is read once
        ca_file=ca_file,
        clock=sim.clock,
    )
    # Close the sender's connections before the fakes stop, so the fakes need not wait for them.
    stack.push_async_callback(apns_client.aclose)
    stack.push_async_callback(fcm_client.aclose)
    stack.push_async_callback(sim.google_wallet_client.aclose)
    # The API's lifespan starts and stops the service's workers.
    sim.sender = SenderService(
        store, apns_client, fcm_client, sim.clock, emit=emit, max_in_flight=_SENDER_IN_FLIGHT
    )
    sim.cards = CardService(
        store,
        sim.clock,
        emit=emit,
        google=GooglePasses(sim.google_wallet_client),
        instance=sim.sender.work.instance,
    )
    sim.sender_server = SenderServer(
        create_app(sim.sender, api_key=sim.api_key, app_key=sim.app_key, cards=sim.cards),
        port=sim.ports.sender,
    )
    await sim.sender_server.start()
    stack.push_async_callback(sim.sender_server.stop)
    # Passes name the web service's URL, known once the server listens.
    sim.cards.apple = sim.apple_wallet.passes(sim.sender_server.url)

    sim.sender_api = httpx.AsyncClient(
        base_url=sim.sender_server.url,
        headers={"Authorization": f"Bearer {sim.api_key}"},
        timeout=30.0,
    )
    stack.push_async_callback(sim.sender_api.aclose)
    # Apps talk to pushsim's sender unless webhook templates point them at the user's backend.
    to_sender = sender_route(sim.sender_server.url, app_key=sim.app_key)

    def route(message: AppServerMessage) -> WebhookRequest | None:
        # Read at each message: the control API may change the webhooks while running.
        return webhook_route(sim.webhooks)(message) if sim.webhooks else to_sender(message)

    app_link = HttpAppServerLink(sim.sender_api, route, now=sim.clock.now, emit=emit)
    if sim.backend is not None:
        from simulator.up import environment, write_trust_bundle

        endpoints = {
            **sim.endpoints_of_started(),
            "trust_bundle": str(write_trust_bundle(run_dir, Path(sim.ca.cert_path))),
        }
        process = await sim.backend.start(environment(endpoints))
        # Stopped first: its connections close before the fakes stop.
        stack.push_async_callback(stop_process, process)
    return app_link
