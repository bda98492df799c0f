"""The audit's report card: a table for people, JUnit XML and JSON for CI."""

from __future__ import annotations

import json
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from simulator.audit.model import CheckResult
from simulator.reports import xml_document

_MARK = {"pass": "PASS", "fail": "FAIL", "error": "ERROR"}


def table(results: Sequence[CheckResult], *, title: str = "pushsim audit", width: int = 100) -> str:
    """One row per check: verdict, id, what it checks and the evidence, then the rule's source."""
    wide = max((len(r.check.check_id) for r in results), default=10)
    lines = [title, ""]
    for result in results:
        check, verdict = result.check, result.verdict
        lines.append(f"{_MARK[verdict.outcome]:<5}  {check.check_id:<{wide}}  {check.title}")
        indent = " " * (wide + 9)
        for label, text in (
            ("evidence", verdict.evidence),
            ("rule", f"{check.rule} [{check.source}]"),
        ):
            wrapped = textwrap.wrap(f"{label}: {text}", width - len(indent), subsequent_indent="  ")
            lines += [indent + line for line in wrapped]
    counts = {o: sum(r.verdict.outcome == o for r in results) for o in _MARK}
    lines += ["", f"{counts['pass']} passed, {counts['fail']} failed, {counts['error']} errors"]
    return "\n".join(lines)


def junit_xml(results: Sequence[CheckResult], *, name: str = "pushsim audit") -> bytes:
    """One ``<testcase>`` per check; a failed check is a ``<failure>``, an error an ``<error>``."""
    suite = ET.Element(
        "testsuite",
        name=name,
        tests=str(len(results)),
        failures=str(sum(r.verdict.outcome == "fail" for r in results)),
        errors=str(sum(r.verdict.outcome == "error" for r in results)),
        time=f"{sum(r.seconds for r in results):.3f}",
    )
    for result in results:
        check, verdict = result.check, result.verdict
        case = ET.SubElement(
            suite, "testcase", classname="audit", name=check.check_id, time=f"{result.seconds:.3f}"
        )
        if verdict.outcome != "pass":
            tag = "failure" if verdict.outcome == "fail" else "error"
            ET.SubElement(case, tag, message=verdict.evidence).text = (
                f"{check.title}\nrule: {check.rule}\nsource: {check.source}\n"
                f"evidence: {verdict.evidence}"
            )
        ET.SubElement(case, "system-out").text = verdict.evidence
    return xml_document(suite)


def json_report(results: Sequence[CheckResult]) -> bytes:
    """``{"passed": bool, "checks": [{"id", "title", "verdict", "evidence", "rule", "source",
    "seconds"}]}``."""
    body = {
        "passed": all(r.verdict.passed for r in results),
        "checks": [
            {
                "id": r.check.check_id,
                "title": r.check.title,
                "verdict": r.verdict.outcome,
                "evidence": r.verdict.evidence,
                "rule": r.check.rule,
                "source": r.check.source,
                "seconds": round(r.seconds, 3),
            }
            for r in results
        ],
    }
    return json.dumps(body, indent=2).encode()
