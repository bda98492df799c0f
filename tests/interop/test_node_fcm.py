"""firebase-admin (Node), unmodified, sending to fcm.googleapis.com through the proxy.

What is configured (``node/fcm-send.mjs``): the app is initialised with
``cert(GOOGLE_APPLICATION_CREDENTIALS)`` and ``projectId``; TLS trust is ``NODE_EXTRA_CA_CERTS``.
The OAuth2 token request goes to the URL google-auth-library hard-codes,
``https://oauth2.googleapis.com/token``, through ``HTTPS_PROXY``, which its HTTP client (gaxios)
honours by itself.

- ``sendEach()`` opens an HTTP/2 session with ``http2.connect('https://fcm.googleapis.com')``;
  Node's http2 has no proxy support, so the preload pushsim ships (``node --import
  "$PUSHSIM_NODE_H2_PRELOAD"``)
  wraps ``http2.connect`` to tunnel through ``HTTPS_PROXY`` (honouring ``NO_PROXY``), with TLS
  checked against fcm.googleapis.com. firebase-admin itself is not touched.
- ``send()`` (HTTP/1.1, ``https.request``) takes the app option ``httpAgent``: an
  ``HttpsProxyAgent`` for ``HTTPS_PROXY``.
"""

from __future__ import annotations

import pytest

from simulator.simulation import DEFAULT_APP_ID, Simulation
from tests.interop.conftest import RunNode

APP = DEFAULT_APP_ID
#: mode of fcm-send.mjs → (HTTP/2 preload, HTTP version the fake sees)
MODES = {"each": (True, "2"), "send": (False, "1.1")}


@pytest.mark.parametrize("mode", sorted(MODES))
async def test_node_firebase_admin_through_the_proxy_reports_each_message(
    sim: Simulation, run_node: RunNode, mode: str
) -> None:
    """sendEach() (HTTP/2) and send() (HTTP/1.1) through the proxy deliver to the live token (the
    phone shows it) and report messaging/registration-token-not-registered for an uninstalled
    app's token."""
    phone = sim.add_android()
    live = str(phone.install(APP, user_id="alice", answer="allow").token)
    gone = sim.add_android()
    dead = str(gone.install(APP, user_id="bob", answer="allow").token)
    gone.uninstall(APP)
    preload, http_version = MODES[mode]
    ok, failed = await run_node("fcm-send.mjs", mode, live, dead, h2_preload=preload)
    assert ok["messageId"].startswith(f"projects/{sim.project_id}/messages/"), ok
    assert failed["error"] == "messaging/registration-token-not-registered", failed
    shown = await sim.expect("NotificationDisplayed", notification=ok["messageId"])
    assert (shown.phone_id, shown.body) == (phone.phone_id, f"firebase-admin (Node) {mode}")
    assert {e.http_version for e in sim.fcm.request_log.query(kind="send")} == {http_version}
    assert sim.fcm.request_log.count(kind="token") == 1
