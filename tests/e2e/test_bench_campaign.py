"""``pushsim bench campaign`` runs end to end in quick mode (timings are not asserted)."""

from __future__ import annotations

from pathlib import Path

from simulator.bench.campaign import run
from simulator.bench.report import BenchOptions


async def test_quick_campaign_bench_reports_its_rows(state_dir: Path) -> None:
    """The quick bench measures the campaign (in process and with the sender in its own process),
    the sender's APNs rate and the aioapns baseline."""
    report = await run(BenchOptions(quick=True, count=40, state_dir=state_dir))
    labels = [row.label for row in report.rows]
    assert labels == [
        "campaign → all displayed (40)",
        "same, sender in its own process (40)",
        "sender APNs (20)",
        "baseline: aioapns (20)",
    ]
    assert [row.count for row in report.rows] == [40, 40, 20, 20]
    assert report.ratio is not None and report.ratio > 0
    assert "aioapns" in report.format()
