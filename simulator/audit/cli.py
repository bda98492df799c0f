"""``pushsim audit``: run the checks in one simulation and write the report card."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from fakeproviders.ca import write_atomic
from simulator.audit import run_audit
from simulator.audit.model import AuditContext, Check, CheckResult
from simulator.audit.report import json_report, junit_xml, table
from simulator.simulation import Simulation, SimulationError


async def audit(
    checks: Sequence[Check],
    *,
    options: Mapping[str, Any],
    state_dir: Path | None,
    junit: Path | None,
    json_path: Path | None,
    subject: str,
    first: float,
    quiet: float,
    patience: float,
) -> int:
    """0 when every check passed, 1 otherwise (a failed check, or the harness could not run).
    ``first``, ``quiet``, ``patience``: the waits of :class:`AuditContext`."""

    def progress(result: CheckResult) -> None:
        print(f"  {result.verdict.outcome:<5} {result.check.check_id}", file=sys.stderr, flush=True)

    try:
        async with Simulation(state_dir=state_dir, **options) as sim:
            context = AuditContext(sim, first=first, quiet=quiet, patience=patience)
            results = await run_audit(sim, checks, on_result=progress, context=context)
    except (SimulationError, OSError) as exc:
        print(f"pushsim audit: cannot run the audit: {exc}", file=sys.stderr)
        return 1
    print(table(results, title=f"pushsim audit of {subject}"))
    try:
        if junit is not None:
            write_atomic(junit, junit_xml(results))
        if json_path is not None:
            write_atomic(json_path, json_report(results))
    except OSError as exc:
        print(f"pushsim audit: cannot write the report: {exc}", file=sys.stderr)
        return 2
    return 0 if all(r.verdict.passed for r in results) else 1
