"""Smoke test of ``pushsim bench fcm`` (timings are never asserted)."""

from __future__ import annotations

from pathlib import Path

from simulator.bench.fcm import run
from simulator.bench.report import BenchOptions


async def test_bench_fcm_quick_reports_both_rows(state_dir: Path) -> None:
    """A quick run measures the fake and the bare baseline and accepts every message, with the
    Python client and with h2load (installed by .ci/run), each server in its own process."""
    report = await run(BenchOptions(quick=True, count=60, state_dir=state_dir))
    fake, bare = report.rows[:2]
    assert fake.label.startswith("fake FCM") and bare.label.startswith("baseline")
    assert (fake.count, bare.count) == (60, 60)
    assert len(fake.latencies) == 60
    assert report.ratio is not None and report.ratio > 0
    assert "bench fcm" in report.format()
    rows = {row.label: row for row in report.rows[2:]}
    assert list(rows) == ["h2load → fake FCM", "h2load → bare ASGI 200"]
    assert all(row.extra == {"2xx": "60"} and len(row.latencies) == 60 for row in rows.values())
