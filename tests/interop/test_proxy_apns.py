"""Python APNs clients, unmodified, reaching the fake through Apple's own host names.

Nothing is patched: each client is configured as it would be against Apple, in the environment
``pushsim env`` prints (the ``use_pushsim_env`` fixture), and reaches ``api.development`` /
``api.sandbox.push.apple.com:443`` through pushsim's CONNECT proxy, checking TLS against that
name (the local CA's server certificate carries Apple's host names, reference/apns.md §7 (b)).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import aioapns
import pytest
from kalyke import ApnsClient, ApnsConfig
from kalyke import exceptions as kalyke_errors

from simulator.simulation import DEFAULT_APP_ID, Simulation

APP = DEFAULT_APP_ID


#: aioapns's proxy option hands ``transport.get_extra_info("socket")`` (an asyncio
#: ``TransportSocket``) to ``loop.create_connection(sock=...)``; Python 3.11 removed the
#: ``send``/``close`` shims that made this work, so the TLS handshake dies in a background task
#: and ``send_notification`` would wait forever (aioapns 4.0, ``HttpProxyProtocol``).
AIOAPNS_PROXY_BROKEN = sys.version_info >= (3, 11)
DRIVER_TIMEOUT = 20.0

aioapns_proxy = pytest.mark.xfail(
    AIOAPNS_PROXY_BROKEN,
    reason="aioapns 4.0's proxy option passes a TransportSocket to create_connection(sock=), "
    "which Python 3.11+ rejects: the send never completes",
    raises=AssertionError,
    strict=True,
)


async def _aioapns_driver(token: str, proxy_port: int) -> dict[str, Any]:
    """Send one alert with aioapns as documented for a proxy (``proxy_host``/``proxy_port``,
    trust from the default SSL context, which reads ``SSL_CERT_FILE``), configured from the
    ``pushsim env`` variables. A failure the loop reports (the broken handshake) ends it at once
    instead of after a timeout."""
    loop = asyncio.get_running_loop()
    broken: asyncio.Future[str] = loop.create_future()

    def on_loop_error(_: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if not broken.done():
            broken.set_result(repr(context.get("exception") or context.get("message")))

    loop.set_exception_handler(on_loop_error)
    client = aioapns.APNs(
        key=Path(os.environ["APNS_KEY_PATH"]).read_text(),
        key_id=os.environ["APNS_KEY_ID"],
        team_id=os.environ["APNS_TEAM_ID"],
        topic=os.environ["APNS_TOPIC"],
        use_sandbox=True,
        proxy_host="127.0.0.1",
        proxy_port=proxy_port,
        max_connection_attempts=1,
    )
    message = {"aps": {"alert": {"title": "Hello", "body": "via aioapns"}}}
    request = aioapns.NotificationRequest(token, message, push_type=aioapns.PushType.ALERT)
    send = asyncio.ensure_future(client.send_notification(request))
    done, _ = await asyncio.wait({send, broken}, timeout=10, return_when="FIRST_COMPLETED")
    if send in done:
        result = send.result()
        return {
            "status": result.status,
            "reason": result.description,
            "apns_id": request.notification_id,
        }
    return {"error": broken.result() if broken in done else "timed out"}


async def _send_with_aioapns(sim: Simulation, env: dict[str, str], token: str) -> dict[str, Any]:
    """Run :func:`_aioapns_driver` in a child Python: the broken proxy path leaves half-made
    transports behind, which must not be garbage-collected inside this test session."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, __file__, token, str(sim.proxy.port),
        env={**os.environ, **env}, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), DRIVER_TIMEOUT)
    assert process.returncode == 0, err.decode()
    return dict(json.loads(out.decode().strip().splitlines()[-1]))


@aioapns_proxy
async def test_aioapns_through_its_proxy_option_reaches_the_phone(
    sim: Simulation, pushsim_env: dict[str, str]
) -> None:
    """aioapns with proxy_host/proxy_port CONNECTs to api.development.push.apple.com:443 and the
    phone shows the notification."""
    phone = sim.add_iphone()
    token = str(phone.install(APP, user_id="alice", answer="allow").token)
    result = await _send_with_aioapns(sim, pushsim_env, token)
    assert result.get("status") == "200", result
    shown = await sim.expect("NotificationDisplayed", notification=result["apns_id"])
    assert (shown.phone_id, shown.title) == (phone.phone_id, "Hello")


@aioapns_proxy
async def test_aioapns_through_its_proxy_option_reads_410(
    sim: Simulation, pushsim_env: dict[str, str]
) -> None:
    """Through the proxy, aioapns reads 410 Unregistered for an uninstalled app's token."""
    phone = sim.add_iphone()
    token = str(phone.install(APP, user_id="alice", answer="allow").token)
    phone.uninstall(APP)
    result = await _send_with_aioapns(sim, pushsim_env, token)
    assert (result.get("status"), result.get("reason")) == ("410", "Unregistered"), result
    sim.expect_no("NotificationDisplayed")


def _kalyke_client(env: dict[str, str], *, sandbox: bool = True) -> ApnsClient:
    """kalyke as against Apple (sandbox unless told); its httpx client reads HTTPS_PROXY and
    SSL_CERT_FILE."""
    return ApnsClient(
        use_sandbox=sandbox,
        team_id=env["APNS_TEAM_ID"],
        auth_key_id=env["APNS_KEY_ID"],
        auth_key_filepath=env["APNS_KEY_PATH"],
    )


async def test_kalyke_with_https_proxy_reaches_the_phone(
    sim: Simulation, use_pushsim_env: dict[str, str]
) -> None:
    """kalyke-apns, configured only by HTTPS_PROXY and SSL_CERT_FILE, sends to
    api.sandbox.push.apple.com over HTTP/2 and the phone shows the notification."""
    phone = sim.add_iphone()
    token = str(phone.install(APP, user_id="bob", answer="allow").token)
    payload = {"aps": {"alert": {"title": "Hi", "body": "via kalyke"}}}
    apns_id = await _kalyke_client(use_pushsim_env).send_message(
        token, payload, ApnsConfig(topic=APP)
    )
    shown = await sim.expect("NotificationDisplayed", notification=apns_id)
    assert (shown.phone_id, shown.title) == (phone.phone_id, "Hi")


async def test_kalyke_with_https_proxy_raises_unregistered(
    sim: Simulation, use_pushsim_env: dict[str, str]
) -> None:
    """Through HTTPS_PROXY, kalyke raises Unregistered for an uninstalled app's token."""
    phone = sim.add_iphone()
    token = str(phone.install(APP, user_id="bob", answer="allow").token)
    phone.uninstall(APP)
    with pytest.raises(kalyke_errors.Unregistered):
        await _kalyke_client(use_pushsim_env).send_message(
            token, {"aps": {"alert": "gone?"}}, ApnsConfig(topic=APP)
        )


async def test_kalyke_set_up_for_production_is_refused_a_development_token(
    sim: Simulation, use_pushsim_env: dict[str, str]
) -> None:
    """kalyke with use_sandbox=False sends to api.push.apple.com, the production fake: a
    development build's token there raises BadDeviceToken, as Apple answers; a production
    build's token is shown."""
    phone = sim.add_iphone()
    development = str(phone.install(APP, user_id="bob", answer="allow").token)
    client = _kalyke_client(use_pushsim_env, sandbox=False)
    with pytest.raises(kalyke_errors.BadDeviceToken):
        await client.send_message(development, {"aps": {"alert": "hi"}}, ApnsConfig(topic=APP))
    phone.uninstall(APP)
    production = str(phone.install(APP, user_id="bob", build="production").token)
    apns_id = await client.send_message(
        production, {"aps": {"alert": {"title": "Live"}}}, ApnsConfig(topic=APP)
    )
    shown = await sim.expect("NotificationDisplayed", notification=apns_id)
    assert shown.token == production


if __name__ == "__main__":
    # The child process of _send_with_aioapns: print the result, exit without collecting garbage.
    outcome = asyncio.run(_aioapns_driver(sys.argv[1], int(sys.argv[2])))
    print(json.dumps(outcome), flush=True)
    os._exit(0)
