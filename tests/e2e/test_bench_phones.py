from __future__ import annotations

from simulator.bench.phones import run
from simulator.bench.report import BenchOptions


async def test_bench_phones_quick_run_reports_every_row():
    """`bench phones` in quick mode measures baseline, registries, phones and install rows."""
    report = await run(BenchOptions(quick=True, count=300))
    labels = [row.label for row in report.rows]
    assert labels == [
        "baseline: interpreter + imports",
        "baseline: bare slotted objects",
        "registries alone: register tokens",
        "create idle phones (half iOS)",
        "install app + register on all",
        "same, keeping events (timeline)",
    ]
    assert all(row.count == 300 for row in report.rows[1:])
    assert report.rows[-1].extra["events"] != "0"
    assert report.met is None  # a partial run does not judge the 100,000-phone target
    assert "RSS" in report.format()
