"""@parse/node-apn (Node), unmodified, against the fake APNs: by address and through the proxy.

``node/apn-send.mjs`` configures the provider from the variables ``pushsim env`` prints and
sends one alert to each token it is given; see that script for exactly what each mode sets.
"""

from __future__ import annotations

import pytest

from simulator.simulation import DEFAULT_APP_ID, Simulation
from tests.interop.conftest import RunNode

APP = DEFAULT_APP_ID


@pytest.mark.parametrize("mode", ["direct", "proxy"])
async def test_node_apn_reaches_the_phone(sim: Simulation, run_node: RunNode, mode: str) -> None:
    """node-apn delivers and the phone shows the alert, configured either with the fake's
    address, port and ca ("direct") or with its proxy option to api.sandbox.push.apple.com:443
    and NODE_EXTRA_CA_CERTS ("proxy")."""
    phone = sim.add_iphone()
    token = str(phone.install(APP, user_id="alice", answer="allow").token)
    result = await run_node("apn-send.mjs", mode, token)
    [sent] = result["sent"]
    assert (sent["device"], result["failed"]) == (token, [])
    shown = await sim.expect("NotificationDisplayed", notification=sent["apns-id"])
    assert (shown.phone_id, shown.body) == (phone.phone_id, f"node-apn {mode}")


@pytest.mark.parametrize("mode", ["direct", "proxy"])
async def test_node_apn_reports_410_unregistered(
    sim: Simulation, run_node: RunNode, mode: str
) -> None:
    """node-apn reports status 410, reason Unregistered, for an uninstalled app's token."""
    phone = sim.add_iphone()
    token = str(phone.install(APP, user_id="alice", answer="allow").token)
    phone.uninstall(APP)
    result = await run_node("apn-send.mjs", mode, token)
    assert result["sent"] == []
    [failed] = result["failed"]
    assert (failed["device"], failed["status"], failed["reason"]) == (token, 410, "Unregistered")
