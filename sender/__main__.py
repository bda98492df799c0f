"""``pushsim-sender`` (or ``python -m sender``): run the sender as a service.

It serves the sender API with uvicorn, sends through Apple and Google (or wherever the
configuration points), and stops cleanly on SIGTERM or SIGINT: no new requests, buffered outcomes
written, connections closed. Unfinished notifications stay in the database for the next start.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import logging
import os
import signal
import sys
import urllib.parse
from collections.abc import Sequence
from pathlib import Path

from .api import create_app
from .apns_client import ApnsClient, default_url
from .cards import ApplePasses, CardService, GooglePasses
from .clock import SystemClock
from .config import ENVIRONMENT_VARIABLES, ConfigError, SenderConfig, load_config
from .errors import SenderError
from .fcm_client import FcmClient
from .google_wallet import GoogleWalletClient
from .pkpass import PassSigner
from .policy import RetryPolicy
from .server import SenderServer
from .service import SenderService
from .stores import Store, is_postgres_url, open_store
from .stores.sqlite import sqlite_problem

log = logging.getLogger("sender")

_EPILOG = f"""\
Configuration comes from --config FILE.toml (sections [sender], [apns], [fcm], [retry]), then
from these environment variables, which win over the file:

  {chr(10).join("  " + v for v in ENVIRONMENT_VARIABLES).strip()}

Defaults talk to the real services: APNs sandbox (APNS_ENVIRONMENT=production for production)
and https://fcm.googleapis.com. `pushsim env` prints the variables that point at pushsim's fakes.
See sender/config.py for every setting. Once serving, the sender prints one line:
"pushsim-sender listening on http://HOST:PORT".
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pushsim-sender",
        description="Run the pushsim sender: an app server that stores device tokens and sends "
        "notifications through APNs and FCM, durably (SQLite or PostgreSQL), with retries and "
        "token pruning. Several instances on one PostgreSQL database share the work.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", metavar="FILE.toml", help="a TOML configuration file")
    parser.add_argument("--host", help="listen address (overrides the configuration)")
    parser.add_argument("--port", type=int, help="listen port; 0 picks a free one")
    parser.add_argument(
        "--database",
        metavar="PATH|URL",
        help="a SQLite file, or postgresql://user@host:port/dbname to share one PostgreSQL "
        "database between several instances",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="check the configuration and that the SQLite database can be used (its directory "
        "exists, it is writable and not locked; nothing is created), print it, and exit",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, load the configuration, serve until SIGTERM/SIGINT; the exit status."""
    args = _parser().parse_args(argv)
    environ = dict(os.environ)
    for option, variable in (
        ("host", "PUSHSIM_SENDER_HOST"),
        ("port", "PUSHSIM_SENDER_PORT"),
        ("database", "PUSHSIM_SENDER_DATABASE"),
    ):
        if getattr(args, option) is not None:
            environ[variable] = str(getattr(args, option))
    try:
        config = load_config(args.config, environ)
    except ConfigError as exc:
        print(f"pushsim-sender: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=config.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.check:
        print(_describe(config))
        problem = None if is_postgres_url(config.database) else sqlite_problem(config.database)
        if problem is not None:
            print(f"pushsim-sender: {problem}", file=sys.stderr)
            return 1
        return 0
    try:
        asyncio.run(serve(config))
    except SenderError as exc:
        print(f"pushsim-sender: {exc}", file=sys.stderr)
        return 1
    return 0


async def serve(config: SenderConfig, *, ready: asyncio.Event | None = None) -> None:
    """Run the sender for ``config`` until SIGTERM or SIGINT (or until cancelled)."""
    clock = SystemClock()
    store = open_store(config.database)
    apns = _apns_client(config, clock)
    fcm = _fcm_client(config, clock)
    retry = RetryPolicy(
        max_attempts=config.retry.max_attempts,
        base_delay=config.retry.base_delay,
        max_delay=config.retry.max_delay,
        jitter=config.retry.jitter,
    )
    service = SenderService(
        store,
        apns,
        fcm,
        clock,
        retry=retry,
        max_in_flight=config.max_in_flight,
        instance=config.instance,
        lease=config.lease,
        poll_interval=config.poll_interval,
    )
    cards, card_clients = _cards(config, store, clock, retry, service.work.instance)
    server = SenderServer(
        create_app(service, api_key=config.api_key, app_key=config.app_key, cards=cards),
        host=config.host,
        port=config.port,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await server.start()
        if cards.apple is not None and not cards.apple.web_service_url:
            cards.apple = dataclasses.replace(cards.apple, web_service_url=f"{server.url}/passkit")
        print(f"pushsim-sender listening on {server.url}", flush=True)
        log.info(
            "APNs: %s; FCM: %s; database %s; instance %s",
            apns.url if apns else "off",
            fcm.send_url if fcm else "off",
            _redacted(config.database),
            service.work.instance,
        )
        if ready is not None:
            ready.set()
        await stop.wait()
        log.info("stopping")
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
        await server.stop()
        await service.stop()
        for client in (apns, fcm, *card_clients):
            if client is not None:
                with contextlib.suppress(Exception):
                    await client.aclose()
        store.close()


def _apns_client(config: SenderConfig, clock: SystemClock) -> ApnsClient | None:
    apns = config.apns
    if not apns.enabled:
        log.warning("APNs is not configured: iOS pushes will fail")
        return None
    key_pem = None
    if apns.key_path and not apns.cert_path:
        try:
            key_pem = Path(apns.key_path).read_bytes()
        except OSError as exc:
            raise ConfigError(f"cannot read the APNs key {apns.key_path}: {exc}") from exc
    return ApnsClient(
        apns.url or default_url("production" if apns.environment == "production" else "sandbox"),
        apns.team_id,
        apns.key_id,
        key_pem,
        apns.ca_file or config.ca_file,
        clock,
        client_cert=apns.cert_path,
        client_key=apns.cert_key_path,
        max_connections=apns.max_connections,
    )


def _cards(
    config: SenderConfig, store: Store, clock: SystemClock, retry: RetryPolicy, instance: str
) -> tuple[CardService, list[ApnsClient | GoogleWalletClient]]:
    """Loyalty cards: Apple passes with their own certificate client (production, §4 of
    reference/wallet.md), Google Wallet objects with the FCM service account; pass pushes are
    retried and claimed like the instance's other pushes."""
    apple = google = None
    clients: list[ApnsClient | GoogleWalletClient] = []
    passes = config.passes
    if passes.enabled:
        assert passes.key_path and passes.wwdr_path
        signer = PassSigner.load(passes.cert_path or "", passes.key_path, passes.wwdr_path)
        client = ApnsClient(
            passes.apns_url,
            None,
            None,
            None,
            config.apns.ca_file or config.ca_file,
            clock,
            # The certificate alone: APNs knows the WWDR intermediate (pushsim's fake trusts it).
            client_cert=passes.cert_path,
            client_key=passes.key_path,
        )
        clients.append(client)
        apple = ApplePasses(
            signer=signer,
            # Unset: this sender's listen URL, filled in once it listens (``serve``).
            web_service_url=(passes.web_service_url or "").rstrip("/"),
            apns=client,
            organization_name=passes.organization_name,
        )
    wallet = config.google_wallet
    if wallet.enabled:
        assert wallet.issuer_id and config.fcm.service_account_path
        google_client = GoogleWalletClient(
            issuer_id=wallet.issuer_id,
            service_account_path=config.fcm.service_account_path,
            ca_file=config.fcm.ca_file or config.ca_file,
            clock=clock,
            url=wallet.url,
        )
        clients.append(google_client)
        google = GooglePasses(google_client, issuer_name=passes.organization_name)
    cards = CardService(
        store,
        clock,
        apple=apple,
        google=google,
        retry=retry,
        instance=instance,
        lease=config.lease,
        poll_interval=config.poll_interval,
    )
    return cards, clients


def _fcm_client(config: SenderConfig, clock: SystemClock) -> FcmClient | None:
    fcm = config.fcm
    if not fcm.enabled:
        log.warning("FCM is not configured: Android pushes will fail")
        return None
    assert fcm.service_account_path is not None
    return FcmClient(
        fcm.url,
        fcm.service_account_path,
        fcm.ca_file or config.ca_file,
        clock,
        max_concurrency=fcm.max_concurrency,
    )


def _redacted(database: str) -> str:
    """The database URL without its password, fit for logs."""
    if not is_postgres_url(database):
        return database
    parts = urllib.parse.urlsplit(database)
    if parts.password is None:
        return database
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def _describe(config: SenderConfig) -> str:
    apns, fcm = config.apns, config.fcm
    lines = [
        f"listen    http://{config.host}:{config.port}",
        f"database  {_redacted(config.database)}",
        f"apns      {'on' if apns.enabled else 'off'} {apns.url or default_url('production' if apns.environment == 'production' else 'sandbox')}"
        f" ({'certificate' if apns.cert_path else 'token'} auth)",
        f"fcm       {'on' if fcm.enabled else 'off'} {fcm.url}",
        f"retry     {config.retry}",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
