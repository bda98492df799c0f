"""``pushsim bench campaign`` runs end to end in quick mode (timings are not asserted)."""

from __future__ import annotations

from pathlib import Path

from simulator.bench.campaign import run
from simulator.bench.report import BenchOptions


async def test_quick_campaign_bench_reports_its_rows(state_dir: Path, postgres_url: str) -> None:
    """The quick bench measures the campaign (in process, with the sender in its own process, and
    with one and two instances on PostgreSQL), the sender's APNs rate and the aioapns baseline;
    every phone shows the campaign once."""
    report = await run(
        BenchOptions(quick=True, count=40, state_dir=state_dir, postgres=postgres_url)
    )
    labels = [row.label for row in report.rows]
    assert labels == [
        "campaign → all displayed (40)",
        "same, sender in its own process (40)",
        "same, 1 on PostgreSQL (40)",
        "same, 2 on PostgreSQL (40)",
        "sender APNs (20)",
        "baseline: aioapns (20)",
    ]
    assert [row.count for row in report.rows] == [40, 40, 40, 40, 20, 20]
    assert [row.extra for row in report.rows] == [{}] * 6, "no phone showed it twice"
    assert report.ratio is not None and report.ratio > 0
    assert "aioapns" in report.format()
