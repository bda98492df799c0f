"""One server for an outside load generator (``h2load``), in a process of its own.

``python -m simulator.bench.serve KIND --state-dir DIR [--port N]`` starts KIND (``apns``: the
fake APNs with simulated iPhones; ``apns-bare``: a bare h2 server answering 200; ``fcm``: the
fake FCM with simulated Android phones; ``fcm-bare``: a bare ASGI app on the server the fake FCM
uses), prints one JSON line (the port, the request paths, headers and body a client must send),
and serves until SIGTERM or SIGINT. The bare h2 server listens
with ``SO_REUSEPORT``: a second process given the first one's ``--port`` shares the load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from devices.phone import AndroidPhone, IosPhone
from fakeproviders.apns import ApnsSigningKey, FakeApns
from fakeproviders.ca import LocalCA
from fakeproviders.clock import WallClock
from fakeproviders.fcm import FakeFcm, ServiceAccount
from simulator.bench import apns as apns_bench
from simulator.bench import fcm as fcm_bench

KINDS = ("apns", "apns-bare", "fcm", "fcm-bare")
PHONES = 50
_BARE_TOKEN = "a" * 64


async def _apns(
    ca: LocalCA, port: int, bare: bool
) -> tuple[dict[str, Any], Callable[[], Awaitable[None]]]:
    key = ApnsSigningKey.generate()
    headers = {
        "authorization": f"bearer {key.provider_token(int(time.time()))}",
        "apns-topic": apns_bench.APP,
        "apns-push-type": "alert",
    }
    context = ca.server_ssl_context(alpn=("h2",))
    if bare:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            apns_bench.BareH2, "127.0.0.1", port, ssl=context, reuse_port=True
        )

        async def stop_bare() -> None:
            server.close()
            await server.wait_closed()

        bound = int(server.sockets[0].getsockname()[1])
        paths = [f"/3/device/{_BARE_TOKEN}"]
        return _offer(bound, paths, headers, apns_bench.PAYLOAD), stop_bare
    clock = WallClock()
    fake = FakeApns(clock=clock, ssl_context=context, keys=[key], topics=[apns_bench.APP])
    await fake.start(port=port)
    tokens = [
        IosPhone(f"bench-{n}", push_service=fake.registry, clock=clock)
        .install(apns_bench.APP, user_id=f"user-{n}", answer="allow")
        .token
        or ""
        for n in range(PHONES)
    ]
    paths = [f"/3/device/{token}" for token in tokens]
    return _offer(fake.port, paths, headers, apns_bench.PAYLOAD), fake.stop


async def _fcm(
    ca: LocalCA, port: int, bare: bool
) -> tuple[dict[str, Any], Callable[[], Awaitable[None]]]:
    context = ca.server_ssl_context(alpn=("h2", "http/1.1"))
    path = f"/v1/projects/{fcm_bench.PROJECT}/messages:send"
    if bare:
        server = fcm_bench.bare_server(context)
        await server.start("127.0.0.1", port)
        headers = {"authorization": "Bearer bench", "content-type": "application/json"}
        body = fcm_bench.message("bench-token", 0)
        return _offer(server.port, [path], headers, body), server.stop
    account = ServiceAccount.generate(fcm_bench.PROJECT)
    clock = WallClock()
    fake = FakeFcm(
        clock=clock, ssl_context=context, project_id=fcm_bench.PROJECT, service_account=account
    )
    await fake.start(port=port)
    phone = AndroidPhone("bench-0", push_service=fake.registry, clock=clock)
    phone.install(fcm_bench.APP, "user-0", answer="allow")
    async with httpx.AsyncClient(http2=True, verify=ca.client_ssl_context()) as client:
        bearer = await fcm_bench.bearer(fake, account, client)
    headers = {"authorization": f"Bearer {bearer}", "content-type": "application/json"}
    body = fcm_bench.message(str(phone.app(fcm_bench.APP).token), 0)
    return _offer(fake.port, [path], headers, body), fake.stop


def _offer(port: int, paths: list[str], headers: dict[str, str], body: bytes) -> dict[str, Any]:
    return {"port": port, "paths": paths, "headers": headers, "body": body.decode()}


async def serve(kind: str, state_dir: Path, port: int) -> None:
    """Start ``kind``, print its offer as one JSON line, serve until told to stop."""
    ca = LocalCA.load_or_create(state_dir)
    start = _apns if kind.startswith("apns") else _fcm
    offer, stop = await start(ca, port, kind.endswith("-bare"))
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, done.set)
    print(json.dumps(offer), flush=True)
    try:
        await done.wait()
    finally:
        await stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulator.bench.serve", description=__doc__)
    parser.add_argument("kind", choices=KINDS)
    parser.add_argument("--state-dir", type=Path, required=True, help="where the local CA is")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free one")
    args = parser.parse_args(argv)
    asyncio.run(serve(args.kind, args.state_dir, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
