"""Smoke test of ``pushsim bench apns``: it runs quickly and reports both rows."""

from __future__ import annotations

from pathlib import Path

from simulator.bench.apns import run
from simulator.bench.report import BenchOptions


async def test_bench_apns_reports_the_fake_and_the_bare_server(state_dir: Path) -> None:
    """A quick run reports the fake and the bare h2 baseline, each with every push answered,
    with the Python client and with h2load, each server in its own process."""
    report = await run(BenchOptions(quick=True, count=60, state_dir=state_dir))
    labels = [row.label for row in report.rows]
    assert labels[0].startswith("fake APNs") and labels[1].startswith("baseline: bare h2")
    assert all(row.count == 60 and len(row.latencies) == 60 for row in report.rows)
    assert report.rows[0].extra["status"] == "200x60"
    assert report.ratio is not None and "bench apns" in report.format()
    # h2load (installed by .ci/run), each server in its own process, one stream per connection
    # so that the fake's one-stream-until-authenticated start refuses nothing.
    assert labels[2:] == [
        "h2load → fake APNs",
        "h2load → bare h2 server",
        "h2load → bare h2 server ×2",
    ]
    assert all(row.extra == {"2xx": "60"} for row in report.rows[2:])
