"""The audit's report card: table, JUnit XML and JSON (simulator/audit/report.py)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from simulator.audit import CATALOGUE
from simulator.audit.model import CheckResult, Verdict
from simulator.audit.report import json_report, junit_xml, table

CHECKS = {c.check_id: c for c in CATALOGUE}
RESULTS = [
    CheckResult(CHECKS["APNS-PRUNE-410"], Verdict("pass", "0 request(s) after the first 410"), 1.5),
    CheckResult(CHECKS["FCM-PRUNE-404"], Verdict("fail", "2 request(s) after the first 404"), 2.0),
    CheckResult(CHECKS["TOKEN-ROTATION"], Verdict("error", "TimeoutError: no phone"), 0.5),
]


def test_table_shows_verdict_evidence_rule_and_source():
    """Each row: verdict, check id, title, then the evidence and the rule with its source."""
    text = table(RESULTS)
    assert "PASS   APNS-PRUNE-410" in text and "FAIL   FCM-PRUNE-404" in text
    assert "evidence: 2 request(s) after the first 404" in text
    assert "[G2 firebase.google.com/docs/cloud-messaging/manage-tokens;" in " ".join(text.split())
    assert text.rstrip().endswith("1 passed, 1 failed, 1 errors")


def test_junit_xml_has_a_failure_and_an_error():
    """A failed check is a <failure> carrying the evidence; a check that could not run an <error>."""
    suite = ET.fromstring(junit_xml(RESULTS))
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "1", "1")
    cases = {case.get("name"): case for case in suite}
    assert (
        cases["FCM-PRUNE-404"].find("failure").get("message") == "2 request(s) after the first 404"
    )
    assert cases["TOKEN-ROTATION"].find("error") is not None
    assert cases["APNS-PRUNE-410"].find("failure") is None


def test_junit_xml_stays_well_formed_whatever_the_evidence_holds():
    """Control characters and lone surrogates (a backend's coloured stderr) are written as \\xNN,
    so CI can still parse the report; the rest of the text is kept."""
    stderr = "send hook: ./notify exited 1: \x1b[31mboom\x1b[0m\x00 \ud800 é"
    results = [CheckResult(CHECKS["FCM-PRUNE-404"], Verdict("error", stderr), 0.1)]
    (case,) = ET.fromstring(junit_xml(results))
    written = "send hook: ./notify exited 1: \\x1b[31mboom\\x1b[0m\\x00 \\xd800 é"
    assert case.find("error").get("message") == written
    assert case.find("system-out").text == written


def test_json_report_lists_every_check_with_its_source():
    """JSON for CI: overall passed flag and, per check, id, verdict, evidence, rule, source."""
    body = json.loads(json_report(RESULTS))
    assert body["passed"] is False
    first = body["checks"][0]
    assert (first["id"], first["verdict"]) == ("APNS-PRUNE-410", "pass")
    assert set(first) == {"id", "title", "verdict", "evidence", "rule", "source", "seconds"}


def test_every_check_names_a_rule_of_the_catalogue_and_a_source():
    """Checks are tied to reference/sender-rules.md ids (or say what they add) and cite sources."""
    ids = [c.check_id for c in CATALOGUE]
    assert len(ids) == len(set(ids))
    assert all(c.source and c.rule and c.title for c in CATALOGUE)
