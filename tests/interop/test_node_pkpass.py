"""passkit-generator (npm), unmodified, builds a pass the simulated Wallet accepts; the same
library signing with a Pass Type ID certificate from a CA the phone does not trust is refused.

``node/pkpass-build.mjs`` gives the library a pass.json, an icon and the certificate, key and
WWDR intermediate as PEM files, and writes the .pkpass it builds (reference/wallet.md §5).
"""

from __future__ import annotations

import json
from pathlib import Path

from fakeproviders.apns.passes import PassTypeCertificate, issue_pass_type_certificate
from fakeproviders.ca import LocalCA
from sender.pkpass import DEFAULT_IMAGES
from simulator.simulation import Simulation
from tests.interop.conftest import RunNode
from tests.wallet_support import store_card


async def _build(
    run_node: RunNode, folder: Path, certificate: PassTypeCertificate, team_id: str
) -> bytes:
    (folder / "pass.json").write_text(
        json.dumps(store_card("node-1", url=None, teamIdentifier=team_id))
    )
    (folder / "icon.png").write_bytes(DEFAULT_IMAGES["icon.png"])
    out = folder / "node.pkpass"
    result = await run_node(
        "pkpass-build.mjs",
        str(folder / "pass.json"),
        str(folder / "icon.png"),
        str(certificate.cert_path),
        str(certificate.key_path),
        str(certificate.wwdr_path),
        str(out),
    )
    assert result["ok"], result
    return out.read_bytes()


async def test_a_passkit_generator_pass_is_accepted(sim: Simulation, run_node: RunNode, tmp_path):
    """Signed with pushsim's Pass Type ID certificate: Wallet adds it, fields intact."""
    wallet = sim.apple_wallet
    team = wallet.credentials.signer.team_id
    data = await _build(run_node, tmp_path, wallet.credentials.certificate, team)
    phone = sim.add_iphone()
    held = phone.wallet.add(data, source="passkit-generator")
    assert held is not None, sim.timeline.events("PassRefused")
    assert (held.pass_type_id, held.serial_number) == (wallet.pass_type_id, "node-1")
    assert held.fields["points"] == 100


async def test_a_passkit_generator_pass_signed_by_a_stranger_is_refused(
    sim: Simulation, run_node: RunNode, tmp_path
):
    """Same library, same pass type and team, a certificate from an untrusted CA: refused
    with the device's chain message."""
    team = sim.apple_wallet.credentials.signer.team_id
    stranger = issue_pass_type_certificate(
        LocalCA.load_or_create(tmp_path / "stranger"), sim.apple_wallet.pass_type_id, team
    )
    data = await _build(run_node, tmp_path, stranger, team)
    phone = sim.add_iphone()
    assert phone.wallet.add(data, source="stranger") is None
    [refused] = sim.timeline.events("PassRefused", phone=phone.phone_id)
    assert "the certificate trust chain could not be verified" in refused.reason
