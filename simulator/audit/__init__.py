"""``pushsim audit``: a report card for any push sender, judged from what the fakes observe.

The catalogue is a tuple of :class:`Check` objects, each tied to a rule of
``reference/sender-rules.md`` and its sources. :func:`run_audit` runs them, one after another, in
one simulation whose notifications go to pushsim's sender or, through the hooks, to the user's
backend. A test can run a single check: ``await check.run(AuditContext(sim))``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence

from simulator.audit.checks_retries import RETRY_CHECKS
from simulator.audit.checks_tokens import TOKEN_CHECKS
from simulator.audit.checks_wire import WIRE_CHECKS
from simulator.audit.model import AuditContext, Check, CheckResult, Verdict
from simulator.simulation import Simulation

#: Every check, in the order they run (the ones that advance the clock last).
CATALOGUE: tuple[Check, ...] = TOKEN_CHECKS + RETRY_CHECKS + WIRE_CHECKS

__all__ = ["CATALOGUE", "AuditContext", "Check", "CheckResult", "Verdict", "run_audit", "select"]


def select(
    only: Iterable[str] = (), skip: Iterable[str] = (), catalogue: Sequence[Check] = CATALOGUE
) -> list[Check]:
    """The checks named by ``only`` (all when empty) minus ``skip``; ValueError naming any id
    not in the catalogue."""
    only, skip = [i.upper() for i in only], [i.upper() for i in skip]
    known = {c.check_id for c in catalogue}
    unknown = sorted({*only, *skip} - known)
    if unknown:
        raise ValueError(
            f"unknown check(s) {', '.join(unknown)}; checks: {', '.join(sorted(known))}"
        )
    return [c for c in catalogue if (not only or c.check_id in only) and c.check_id not in skip]


async def run_audit(
    sim: Simulation,
    checks: Sequence[Check] = CATALOGUE,
    *,
    on_result: Callable[[CheckResult], None] | None = None,
    context: AuditContext | None = None,
) -> list[CheckResult]:
    """Run ``checks`` one after another in the started ``sim`` (``context`` sets how long to
    wait for the sender; the default suits a sender on another machine's pace)."""
    context = context or AuditContext(sim)
    results = []
    for check in checks:
        started = time.perf_counter()
        verdict = await check.run(context)
        result = CheckResult(check, verdict, time.perf_counter() - started)
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results
