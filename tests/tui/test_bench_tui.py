"""`pushsim bench tui` runs with a tiny fleet and reports its rows (no timing is asserted)."""

from __future__ import annotations

from pathlib import Path

from simulator.bench.report import BenchOptions
from simulator.bench.tui import KEYS, run


async def test_bench_tui_quick_run_reports_every_row(tmp_path: Path) -> None:
    """A quick run over 6 phones times every key of a round, for the fleet and the 4-phone
    baseline, and the campaign to all; it does not judge the 200-phone target."""
    report = await run(BenchOptions(quick=True, count=6, state_dir=tmp_path))
    assert [row.label for row in report.rows] == [
        "key → repaint, 6 phones",
        "  the same, CPU time of pushsim",
        "baseline: key → repaint, 4 phones",
        "  the same, CPU time of pushsim",
        "campaign to all 6 drawn",
    ]
    assert all(row.count == len(KEYS) for row in report.rows[:4])
    assert report.rows[-1].count == 6 and report.rows[-1].seconds > 0
    assert report.met is None
    assert "p95_ms=" in report.format()
