"""``pushsim up``: everything as a long-running service, and ``pushsim env`` to point senders at it.

``up`` starts a :class:`Simulation` (fake APNs, fake FCM, the sender), the control API and a demo
fleet, writes ``endpoints.json`` into the state directory, and runs until Ctrl-C or SIGTERM.
``env`` reads that file and prints the ``export`` lines an external sender needs.
"""

from __future__ import annotations

import asyncio
import json
import shlex
import signal
import ssl
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from fakeproviders.ca import write_atomic
from sender import SenderServer
from simulator.control import create_control_app
from simulator.simulation import DEFAULT_APP_ID, Ports, Simulation

ENDPOINTS_FILE = "endpoints.json"
TRUST_BUNDLE_FILE = "trust-bundle.pem"

#: The demo fleet: (platform, phone id, user id).
DEMO_FLEET = (
    ("ios", "alice-iphone", "alice"),
    ("android", "alice-pixel", "alice"),
    ("ios", "bob-iphone", "bob"),
    ("android", "bob-pixel", "bob"),
)


class UpError(Exception):
    """``pushsim up`` or ``pushsim env`` cannot do what was asked."""


async def serve(
    *,
    state_dir: Path,
    ports: Ports,
    control_port: int,
    demo: bool,
    on_ready: Callable[[dict[str, Any]], None],
    stop: asyncio.Event | None = None,
    tui: bool = False,
    options: Mapping[str, Any] | None = None,
    web_port: int | None = None,
) -> None:
    """Run until ``stop`` is set (or SIGINT/SIGTERM, or the user quits the TUI when ``tui``);
    ``on_ready`` gets the endpoints. ``options`` go to :class:`Simulation` (apps, ids, hooks).
    With ``web_port``, the UI is served as a web page on loopback instead of the terminal."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    endpoints_path = state_dir / ENDPOINTS_FILE
    try:
        async with Simulation(state_dir=state_dir, ports=ports, **(options or {})) as sim:
            control_endpoint: dict[str, Any] = {}
            control = SenderServer(
                create_control_app(sim, extra_endpoints=control_endpoint), port=control_port
            )
            await control.start()
            try:
                control_endpoint["control"] = {"url": control.url}
                endpoints = {
                    **sim.endpoints,
                    **control_endpoint,
                    "trust_bundle": str(write_trust_bundle(state_dir, Path(sim.ca.cert_path))),
                }
                if demo:
                    await add_demo_fleet(sim, sim.app_ids[0])
                write_atomic(endpoints_path, json.dumps(endpoints, indent=2).encode())
                on_ready(endpoints)
                if web_port is not None:
                    from simulator.tui import serve_web_for  # Textual loads only when asked for

                    await serve_web_for(sim, port=web_port, stop=stop, extra=endpoints)
                elif tui:
                    from simulator.tui import run_tui_for  # Textual loads only when asked for

                    await _first_of(stop.wait(), run_tui_for(sim, extra=endpoints))
                else:
                    await stop.wait()
            finally:
                # endpoints.json must never point at ports nobody listens on any more.
                endpoints_path.unlink(missing_ok=True)
                await control.stop()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


async def _first_of(*awaitables: Any) -> None:
    """Wait until one finishes (SIGTERM, or quitting the TUI), then cancel the others."""
    tasks = [asyncio.ensure_future(a) for a in awaitables]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def add_demo_fleet(sim: Simulation, app_id: str = DEFAULT_APP_ID) -> None:
    """Two users with an iPhone and an Android phone each, ``app_id`` installed and allowed."""
    for platform, phone_id, user_id in DEMO_FLEET:
        phone = sim.add_iphone(phone_id) if platform == "ios" else sim.add_android(phone_id)
        phone.install(app_id, user_id=user_id, answer="allow")
    await sim.settle()


def write_trust_bundle(state_dir: Path, ca_cert: Path) -> Path:
    """The system's trusted CAs plus the local CA, for ``SSL_CERT_FILE`` and friends.

    Pointing ``SSL_CERT_FILE`` at the local CA alone would make every other HTTPS call of the
    sender fail; this bundle keeps them working.
    """
    system = ssl.get_default_verify_paths().cafile
    parts = [Path(system).read_bytes()] if system and Path(system).is_file() else []
    parts.append(ca_cert.read_bytes())
    path = state_dir / TRUST_BUNDLE_FILE
    write_atomic(path, b"\n".join(parts))
    return path


def read_endpoints(state_dir: Path) -> dict[str, Any]:
    path = state_dir / ENDPOINTS_FILE
    try:
        endpoints: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError:
        raise UpError(
            f"no {ENDPOINTS_FILE} in {state_dir}: is `pushsim up` running with this state dir?"
        ) from None
    except json.JSONDecodeError as exc:
        raise UpError(f"{path} is not valid JSON: {exc}") from None
    return endpoints


def export_lines(endpoints: dict[str, Any]) -> list[str]:
    """``export NAME=value`` lines for a POSIX shell (``eval "$(pushsim env)"``)."""
    return [f"export {name}={shlex.quote(value)}" for name, value in environment(endpoints).items()]


#: The Node preload that tunnels ``http2.connect`` through HTTPS_PROXY (shipped as package data).
NODE_H2_PRELOAD = Path(__file__).parent / "node" / "h2-proxy.mjs"


def environment(endpoints: dict[str, Any]) -> dict[str, str]:
    """The variables that point a sender at the fakes (what ``pushsim env`` exports)."""
    apns, fcm = endpoints["apns"], endpoints["fcm"]
    trust = endpoints.get("trust_bundle", endpoints["ca_cert"])
    values = {
        # Trust: Python ssl/httpx, requests, curl, Node (extra CAs), and the bare CA for Go/Java.
        "SSL_CERT_FILE": trust,
        "REQUESTS_CA_BUNDLE": trust,
        "CURL_CA_BUNDLE": trust,
        "HTTPLIB2_CA_CERTS": trust,  # httplib2 (google-api-python-client) ignores SSL_CERT_FILE
        "NODE_EXTRA_CA_CERTS": endpoints["ca_cert"],
        "PUSHSIM_CA_CERT": endpoints["ca_cert"],
        "PUSHSIM_SENDER_CA_FILE": endpoints["ca_cert"],
        # APNs token auth. APNS_URL and APNS_ENVIRONMENT name the sandbox (development builds);
        # a sender set up for production uses APNS_PRODUCTION_URL with APNS_ENVIRONMENT=production.
        "APNS_URL": apns["url"],
        "APNS_TEAM_ID": apns["team_id"],
        "APNS_KEY_ID": apns["key_id"],
        "APNS_KEY_PATH": apns["key_path"],
        "APNS_TOPIC": apns["topics"][0] if apns["topics"] else "",
        "APNS_ENVIRONMENT": apns["environment"],
        "APNS_SANDBOX_URL": apns["url"],
        # FCM HTTP v1 with a service account (google-auth reads GOOGLE_APPLICATION_CREDENTIALS).
        "FCM_URL": fcm["url"],
        "FCM_PROJECT_ID": fcm["project_id"],
        "GOOGLE_APPLICATION_CREDENTIALS": fcm["service_account_path"],
        # The Google Wallet API (loyalty cards), same service account.
        "GOOGLE_WALLET_URL": endpoints["google_wallet"]["url"],
        "GOOGLE_WALLET_ISSUER_ID": endpoints["google_wallet"]["issuer_id"],
        # pushsim's own sender and control API.
        # Senders with hard-coded Apple/Google URLs: tunnel those hosts to the fakes; loopback
        # URLs (the fakes, the sender) go direct.
        "HTTPS_PROXY": endpoints["proxy"]["url"],
        "https_proxy": endpoints["proxy"]["url"],
        "NO_PROXY": "127.0.0.1,localhost,::1",
        "no_proxy": "127.0.0.1,localhost,::1",
        # Node's http2 has no proxy support: `node --import "$PUSHSIM_NODE_H2_PRELOAD"` adds it.
        "PUSHSIM_NODE_H2_PRELOAD": NODE_H2_PRELOAD,
        "PUSHSIM_SENDER_URL": endpoints["sender"]["url"],
        "PUSHSIM_SENDER_API_KEY": endpoints["sender"]["api_key"],
    }
    if "apple_wallet" in endpoints:
        # Apple Wallet passes (loyalty cards): the Pass Type ID certificate, its key, the WWDR
        # intermediate, and the production APNs that pass pushes go to (reference/wallet.md §4).
        wallet = endpoints["apple_wallet"]
        values["APPLE_PASS_TYPE_ID"] = wallet["pass_type_id"]
        values["APPLE_PASS_TEAM_ID"] = wallet["team_id"]
        values["APPLE_PASS_CERT_PATH"] = wallet["cert_path"]
        values["APPLE_PASS_KEY_PATH"] = wallet["key_path"]
        values["APPLE_PASS_WWDR_PATH"] = wallet["wwdr_path"]
        values["APPLE_PASS_APNS_URL"] = wallet["apns_url"]
    if "apns_production" in endpoints:
        values["APNS_PRODUCTION_URL"] = endpoints["apns_production"]["url"]
    if "control" in endpoints:
        values["PUSHSIM_CONTROL_URL"] = endpoints["control"]["url"]
    return {name: str(value) for name, value in values.items()}


def describe(endpoints: dict[str, Any], state_dir: Path) -> str:
    """What ``pushsim up`` prints once everything listens."""
    apns, fcm = endpoints["apns"], endpoints["fcm"]
    lines = [
        "pushsim is up. Press Ctrl-C to stop (q in the terminal UI).",
        "",
        f"  fake APNs    {apns['url']}  sandbox (team {apns['team_id']}, key {apns['key_id']}, "
        f"topics {', '.join(apns['topics'])})",
        *(
            [f"               {endpoints['apns_production']['url']}  production (same key)"]
            if "apns_production" in endpoints
            else []
        ),
        f"  fake FCM     {fcm['url']}  (project {fcm['project_id']})",
        f"  fake Wallet  {endpoints['google_wallet']['url']}  "
        f"(Google Wallet API, issuer {endpoints['google_wallet']['issuer_id']})",
        f"  sender       {endpoints['sender']['url']}  (API key {endpoints['sender']['api_key']})",
    ]
    if "control" in endpoints:
        lines.append(f"  control API  {endpoints['control']['url']}  (OpenAPI at /docs)")
    lines.append(
        f"  HTTPS proxy  {endpoints['proxy']['url']}  (tunnels Apple's and Google's hosts to the fakes)"
    )
    lines += [
        "",
        f"  local CA     {endpoints['ca_cert']}",
        f"  APNs key     {apns['key_path']}",
        f"  FCM account  {fcm['service_account_path']}",
        f"  endpoints    {state_dir / ENDPOINTS_FILE}",
        "",
        f'Point a sender at the fakes:  eval "$(pushsim env --state-dir {shlex.quote(str(state_dir))})"',
    ]
    return "\n".join(lines)
