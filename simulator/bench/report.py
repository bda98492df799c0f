"""What a benchmark measures and how it is printed."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, kw_only=True)
class BenchOptions:
    quick: bool = False
    """A small load that only shows the benchmark works (used by the test suite)."""
    count: int | None = None
    """Override the benchmark's default load (requests, phones…)."""
    state_dir: Path | None = None
    postgres: str | None = None
    """A PostgreSQL server's URL, for the rows of senders sharing a database on it."""


@dataclass(kw_only=True)
class Measurement:
    """One row of the table: ``count`` operations in ``seconds``, with optional latencies."""

    label: str
    count: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    """Per-operation latencies in seconds, when the benchmark records them."""
    unit: str = "ops"
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else float("inf")

    def percentile_ms(self, q: float) -> float | None:
        if len(self.latencies) < 2:
            return None
        cuts = statistics.quantiles(self.latencies, n=100, method="inclusive")
        return cuts[round(q) - 1] * 1000


@dataclass(kw_only=True)
class BenchReport:
    name: str
    title: str
    rows: list[Measurement]
    target: str
    """What the DESIGN.md target says, in words."""
    ratio: float | None = None
    """The measured value the target is about (a ratio, or seconds, or MB)."""
    met: bool | None = None
    notes: list[str] = field(default_factory=list)

    def format(self) -> str:
        header = f"{'':<34} {'count':>9} {'seconds':>9} {'rate/s':>11} {'p50 ms':>8} {'p99 ms':>8}"
        lines = [f"== bench {self.name}: {self.title}", header]
        for row in self.rows:
            p50, p99 = row.percentile_ms(50), row.percentile_ms(99)
            lines.append(
                f"{row.label:<34} {row.count:>9} {row.seconds:>9.3f} {row.rate:>11.1f} "
                f"{_ms(p50):>8} {_ms(p99):>8}" + "".join(f"  {k}={v}" for k, v in row.extra.items())
            )
        verdict = {True: "met", False: "NOT met", None: "n/a"}[self.met]
        measured = f" (measured {self.ratio:.3g})" if self.ratio is not None else ""
        lines.append(f"target: {self.target}{measured}: {verdict}")
        lines.extend(f"note: {note}" for note in self.notes)
        return "\n".join(lines)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
