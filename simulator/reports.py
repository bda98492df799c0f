"""CI artifacts of a scenario run: a JUnit XML report and a JSON export of every timeline."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from fakeproviders.ca import write_atomic
from simulator.control.serialize import event_json
from simulator.scenarios import ScenarioResult

# Characters XML 1.0 cannot carry at all (control characters, lone surrogates): a backend's stderr
# with colour codes in a failure message made the whole report unreadable to CI.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_document(root: ET.Element) -> bytes:
    """``root`` as a UTF-8 document, each character XML cannot hold written as ``\\xNN``."""

    def clean(text: str) -> str:
        return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)

    for element in root.iter():
        if element.text:
            element.text = clean(element.text)
        for name, value in element.attrib.items():
            element.set(name, clean(value))
    xml: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return xml


def junit_xml(results: Sequence[ScenarioResult]) -> bytes:
    """One ``<testcase>`` per scenario; a failure carries the message and the timeline."""
    failures = sum(not r.passed for r in results)
    suite = ET.Element(
        "testsuite",
        name="pushsim scenarios",
        tests=str(len(results)),
        failures=str(failures),
        errors="0",
        skipped=str(sum(r.skipped is not None for r in results)),
        time=f"{sum(r.wall_seconds for r in results):.3f}",
    )
    for result in results:
        case = ET.SubElement(
            suite,
            "testcase",
            classname="scenarios",
            name=result.script.name,
            file=str(result.script.path),
            time=f"{result.wall_seconds:.3f}",
        )
        if result.skipped:
            ET.SubElement(case, "skipped", message=result.skipped)
        if not result.passed:
            failure = ET.SubElement(case, "failure", message=(result.error or "").splitlines()[0])
            failure.text = f"{result.error}\n\n{result.timeline}"
        out = ET.SubElement(case, "system-out")
        out.text = result.timeline
    return xml_document(suite)


def timelines_json(results: Sequence[ScenarioResult]) -> bytes:
    """``{"scenarios": [{"name", "path", "passed", "error", "events": [...]}]}``."""
    body = {
        "scenarios": [
            {
                "name": r.script.name,
                "path": str(r.script.path),
                "title": r.script.title,
                "passed": r.passed,
                "skipped": r.skipped,
                "error": r.error,
                "wall_seconds": r.wall_seconds,
                "virtual_seconds": r.virtual_seconds,
                "events": [event_json(e.event, e.seq) for e in r.events],
            }
            for r in results
        ]
    }
    return json.dumps(body, indent=2, default=str).encode()


def write_reports(
    results: Sequence[ScenarioResult], *, junit: Path | None, timeline: Path | None
) -> None:
    if junit is not None:
        write_atomic(junit, junit_xml(results))
    if timeline is not None:
        write_atomic(timeline, timelines_json(results))
