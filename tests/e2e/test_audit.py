"""`pushsim audit` both ways: pushsim's sender passes every check, a deliberately naive backend
fails exactly the checks it should, and an unmodified third-party library is graded."""

from __future__ import annotations

import pytest

from simulator import Simulation
from simulator.audit import CATALOGUE, AuditContext, run_audit, select
from simulator.audit.report import table
from simulator.backend import SendHook
from tests.audit.backends import backend_options

#: What tests/audit/naive_backend.py does right thanks to a new connection for every push (so a
#: GOAWAY cannot hurt it and it never has two streams open on one) and a fresh JWT for every push
#: (so it is never an hour old). The other direction of each is tested below.
LOSES_PUSHES_FAILS = {"H2-GOAWAY", "APNS-JWT-REFRESH"}
NAIVE_PASSES = LOSES_PUSHES_FAILS | {"H2-MAX-STREAMS"}


async def test_pushsims_own_sender_passes_every_check(state_dir):
    """Every check in the catalogue passes against pushsim's sender, with its evidence."""
    async with Simulation(state_dir=state_dir) as sim:
        results = await run_audit(sim)
    assert [r.check.check_id for r in results] == [c.check_id for c in CATALOGUE]
    assert all(r.verdict.passed for r in results), table(results)


async def test_the_naive_backend_fails_exactly_the_checks_it_should(state_dir):
    """A JWT per request, never prunes, retries everything at once…: every check but the three
    it happens to satisfy fails, each with evidence from the fakes' logs."""
    async with Simulation(
        state_dir=state_dir, **backend_options("tests/audit/naive_backend.py")
    ) as sim:
        # It never retries slowly: a short patience for what it never delivers.
        results = await run_audit(sim, context=AuditContext(sim, patience=2.0))
    failed = {r.check.check_id for r in results if r.verdict.outcome == "fail"}
    assert failed == {c.check_id for c in CATALOGUE} - NAIVE_PASSES, table(results)
    assert all(r.verdict.outcome != "error" for r in results), table(results)
    by_id = {r.check.check_id: r.verdict.evidence for r in results}
    assert "carried 5 distinct JWT(s)" in by_id["APNS-JWT-REUSE"]
    assert "5 new TLS connection(s)" in by_id["APNS-CONN-REUSE"]


async def test_a_sender_that_loses_pushes_fails_the_goaway_and_refresh_checks(state_dir):
    """The other direction of H2-GOAWAY and APNS-JWT-REFRESH, which the naive backend passes: a
    backend that accepts notifications and sends nothing is caught (0 of 3 shown; nothing shown
    an hour later)."""
    async with Simulation(state_dir=state_dir, send_hook=SendHook(command=["true"])) as sim:
        # It never sends: no need to wait long for a first push.
        context = AuditContext(sim, first=0.5, patience=1.0)
        for check in select(only=LOSES_PUSHES_FAILS):
            verdict = await check.run(context)
            assert verdict.outcome == "fail", f"{check.check_id}: {verdict}"


async def test_a_sender_opening_streams_beyond_the_servers_limit_fails_h2_max_streams(state_dir):
    """The other direction of H2-MAX-STREAMS: a backend that sends all of a notification's
    streams at once on a new connection, before APNs's SETTINGS allow more than one, is caught
    (tests/audit/greedy_backend.py)."""
    async with Simulation(
        state_dir=state_dir, **backend_options("tests/audit/greedy_backend.py")
    ) as sim:
        (check,) = select(only=["H2-MAX-STREAMS"])
        verdict = await check.run(AuditContext(sim, patience=2.0))
    assert verdict.outcome == "fail", verdict
    assert "1 stream(s) opened beyond the server's MAX_CONCURRENT_STREAMS" in verdict.evidence


#: A cheap, stable part of the card of aioapns + PyFCM (README "Test your own backend").
THIRD_PARTY = {
    "APNS-PRUNE-410": "pass",
    "APNS-410-TS": "fail",
    "APNS-JWT-REUSE": "pass",
    "APNS-CONN-REUSE": "pass",
    "PAYLOAD-SIZE": "fail",
    "APNS-JWT-REFRESH": "fail",
}


async def test_unmodified_third_party_libraries_are_graded_through_the_hooks(state_dir):
    """aioapns and PyFCM from PyPI, unmodified, behind a tiny backend: graded like any sender
    (aioapns does not renew its JWT on ExpiredProviderToken, nothing checks payload sizes, the
    glue prunes on every 410 whatever its timestamp)."""
    async with Simulation(
        state_dir=state_dir, **backend_options("tests/audit/thirdparty_backend.py")
    ) as sim:
        results = await run_audit(
            sim, select(only=THIRD_PARTY), context=AuditContext(sim, patience=3.0)
        )
    outcomes = {r.check.check_id: r.verdict.outcome for r in results}
    assert outcomes == THIRD_PARTY, table(results)


@pytest.mark.parametrize(
    ("only", "skip", "expected"),
    [
        (["apns-prune-410"], [], ["APNS-PRUNE-410"]),
        ([], [c.check_id for c in CATALOGUE[1:]], [CATALOGUE[0].check_id]),
    ],
)
def test_only_and_skip_pick_checks_case_insensitively(only, skip, expected):
    """--only / --skip name checks by id, in any case."""
    assert [c.check_id for c in select(only, skip)] == expected


def test_an_unknown_check_id_is_refused_with_the_known_ones():
    """A typo in --only is an error listing the ids, not an empty audit."""
    with pytest.raises(ValueError, match=r"unknown check.*APNS-PRUNE-41.*checks: "):
        select(["APNS-PRUNE-41"])
