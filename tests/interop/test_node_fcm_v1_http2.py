"""fcm-v1-http2 (Node), unmodified, sending to fcm.googleapis.com through the proxy.

What is configured (``node/fcm-v1-http2-send.mjs``): ``new Client({serviceAccount})`` with the
key file of ``GOOGLE_APPLICATION_CREDENTIALS``; TLS trust is ``NODE_EXTRA_CA_CERTS``. Its OAuth2
token comes from the ``googleapis`` JWT client, whose ``gtoken`` posts to the URL it hard-codes,
``https://www.googleapis.com/oauth2/v4/token``, and signs that URL as the audience; gaxios takes
it through ``HTTPS_PROXY``. Its sends use ``http2.connect('https://fcm.googleapis.com')``, which
the preload pushsim ships tunnels through ``HTTPS_PROXY``, loaded as the README says:
``NODE_OPTIONS="--import=$PUSHSIM_NODE_H2_PRELOAD"``.
"""

from __future__ import annotations

from simulator.simulation import DEFAULT_APP_ID, Simulation
from tests.interop.conftest import RunNode


async def test_fcm_v1_http2_through_the_proxy_delivers_and_reports_unregistered(
    sim: Simulation, run_node: RunNode, pushsim_env: dict[str, str]
) -> None:
    """sendMulticast() gets its token from www.googleapis.com/oauth2/v4/token and sends over
    HTTP/2: the live token's phone shows the notification, and the token of an uninstalled app
    (UNREGISTERED at once in this fixture) comes back in the package's list of unregistered
    tokens."""
    phone = sim.add_android()
    live = str(phone.install(DEFAULT_APP_ID, user_id="alice", answer="allow").token)
    gone = sim.add_android()
    dead = str(gone.install(DEFAULT_APP_ID, user_id="bob", answer="allow").token)
    gone.uninstall(DEFAULT_APP_ID)

    preload = {"NODE_OPTIONS": f"--import={pushsim_env['PUSHSIM_NODE_H2_PRELOAD']}"}
    answer = await run_node("fcm-v1-http2-send.mjs", "first", live, dead, env=preload)
    assert answer == {"unregistered": [dead]}, answer
    shown = await sim.expect("NotificationDisplayed", phone=phone.phone_id)
    assert (shown.title, shown.body) == ("first", "fcm-v1-http2 (Node)")
    (token_request,) = sim.fcm.request_log.query(kind="token")
    assert (token_request.path, token_request.status) == ("/oauth2/v4/token", 200)
    assert {e.http_version for e in sim.fcm.request_log.query(kind="send")} == {"2"}
