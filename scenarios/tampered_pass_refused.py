"""Tampered pass refused: Wallet checks the manifest and the signature before it adds a pass.

A pass whose points were edited after signing no longer matches its manifest; a pass signed with a
certificate that does not chain to a trusted root fails the trust check. Wallet refuses both with
the words the device logs (reference/wallet.md §5), and neither is registered with the web service.
"""

from __future__ import annotations

import io
import zipfile

from simulator import Simulation


def _edit_points(pkpass: bytes) -> bytes:
    """The same archive with ``pass.json`` edited and the manifest and signature kept."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(pkpass)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "pass.json":
                data = data.replace(b'"value": 10,', b'"value": 10000,')
            dst.writestr(info.filename, data)
    return out.getvalue()


async def scenario(sim: Simulation) -> None:
    iphone = sim.add_iphone()
    card = await sim.issue_card("dave", platform="ios", points=10)
    response = await sim.sender_api.get(card["add_url"])
    genuine = response.content

    assert iphone.wallet.add(_edit_points(genuine), source="edited") is None
    refused = await sim.expect("PassRefused", phone=iphone.phone_id, source="edited")
    assert refused.reason == "Manifest signature did not verify successfully", refused.reason

    forged = sim.apple_wallet.signed_by_stranger(genuine)
    assert iphone.wallet.add(forged, source="forged") is None
    refused = await sim.expect("PassRefused", phone=iphone.phone_id, source="forged")
    assert "certificate trust chain could not be verified" in refused.reason, refused.reason

    await sim.settle()
    sim.expect_no("PassRegistered", phone=iphone.phone_id)
    assert iphone.wallet.add(genuine, source="genuine") is not None
