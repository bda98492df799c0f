"""Time as an outside sender lives it (docs/time.md): credentials are judged against real time
at first sight, then age on the simulation's clock; in-process signers on that clock still work."""

from __future__ import annotations

from typing import Any

import jwt
import pytest

from fakeproviders.apns import ApnsOptions, ApnsRegistry, ApnsSigningKey
from fakeproviders.apns.auth import ConnectionAuth
from fakeproviders.apns.validation import Accepted, ApnsValidator, Decision, Rejected
from fakeproviders.fcm import ServiceAccount
from fakeproviders.fcm.oauth import (
    FIREBASE_MESSAGING_SCOPE,
    JWT_BEARER_GRANT,
    BearerCheck,
    OAuthEndpoint,
    OAuthError,
    TokenGranted,
)
from fakeproviders.first_sight import RESIGN_WINDOW, FirstSight

APP = "com.example.app"
REAL_START = 1_790_000_000.0
HOUR, DAY = 3600.0, 86_400.0
KEY = ApnsSigningKey.generate()


class Clocks:
    """The wall clock and a simulation clock that runs with it and can be advanced."""

    def __init__(self) -> None:
        self.real_t = REAL_START
        self.offset = 0.0
        self.real = _Reader(lambda: self.real_t)
        self.sim = _Reader(lambda: self.real_t + self.offset)

    def tick(self, seconds: float) -> None:
        """Real time passes (the simulation clock follows)."""
        self.real_t += seconds

    def advance(self, seconds: float) -> None:
        """Only the simulation clock jumps (``POST /clock/advance``)."""
        self.offset += seconds


class _Reader:
    def __init__(self, read: Any) -> None:
        self.now = read


class Apns:
    def __init__(self, options: ApnsOptions | None = None) -> None:
        self.clocks = Clocks()
        registry = ApnsRegistry(self.clocks.sim)
        self.device = registry.register("p1", APP)
        self.validator = ApnsValidator(
            keys=[KEY],
            topics=[APP],
            registry=registry,
            clock=self.clocks.sim,
            options=options,
            real_clock=self.clocks.real,
        )

    def send(self, provider_token: str, auth: ConnectionAuth | None = None) -> Decision:
        headers = [("authorization", f"bearer {provider_token}"), ("apns-topic", APP)]
        return self.validator.validate(
            "POST",
            f"/3/device/{self.device}",
            headers,
            b'{"aps":{"alert":"hi"}}',
            auth or ConnectionAuth(),
        )


def reason(decision: Decision) -> str | None:
    return decision.reason if isinstance(decision, Rejected) else None


def test_a_jwt_signed_with_real_time_works_after_the_clock_was_advanced_days():
    """A correct outside sender (fresh JWT on real time) is never refused because of advance()."""
    apns = Apns()
    for _ in range(5):
        apns.clocks.advance(3 * DAY)
        apns.clocks.tick(5)
        assert isinstance(apns.send(KEY.provider_token(int(apns.clocks.real_t))), Accepted)


def test_the_same_jwt_is_two_hours_old_after_an_advance_of_two_hours():
    """A JWT first seen fresh ages on the simulation's clock: 2 h later it is ExpiredProviderToken,
    on its connection and on a new one, while a newly signed one on that connection works."""
    apns = Apns()
    kept = KEY.provider_token(int(apns.clocks.real_t))
    connection = ConnectionAuth()
    assert isinstance(apns.send(kept, connection), Accepted)
    apns.clocks.advance(2 * HOUR)
    assert reason(apns.send(kept, connection)) == "ExpiredProviderToken"
    assert reason(apns.send(kept)) == "ExpiredProviderToken"
    apns.clocks.tick(1)
    fresh = KEY.provider_token(int(apns.clocks.real_t))
    # Two hours apart on the simulation's clock: not TooManyProviderTokenUpdates.
    assert isinstance(apns.send(fresh, connection), Accepted)


def test_a_jwt_kept_for_an_hour_on_the_simulation_clock_is_refused_even_if_first_seen_late():
    """Ageing starts at first sight: a JWT first seen after the advance is judged on real time."""
    apns = Apns()
    token = KEY.provider_token(int(apns.clocks.real_t))
    apns.clocks.advance(5 * HOUR)
    assert isinstance(apns.send(token), Accepted)
    apns.clocks.advance(HOUR + 1)
    assert reason(apns.send(token)) == "ExpiredProviderToken"


def test_an_in_process_signer_following_the_simulation_clock_keeps_working():
    """pushsim's own sender signs with the simulation's clock: still fresh after an advance."""
    apns = Apns()
    apns.clocks.advance(2 * HOUR)
    token = KEY.provider_token(int(apns.clocks.sim.now()))
    assert isinstance(apns.send(token), Accepted)
    apns.clocks.advance(HOUR + 1)
    assert reason(apns.send(token)) == "ExpiredProviderToken"


def test_a_jwt_already_stale_on_real_time_is_expired():
    """An outside JWT over an hour old by real time is refused at first sight."""
    apns = Apns()
    assert reason(apns.send(KEY.provider_token(int(REAL_START - HOUR - 5)))) == (
        "ExpiredProviderToken"
    )


@pytest.mark.parametrize("iat", [REAL_START + 3 * HOUR, REAL_START * 1000])
def test_a_jwt_issued_in_the_future_is_invalid_provider_token(iat):
    """An iat in the future (a fast clock, or milliseconds) is refused; Apple's answer is [U],
    InvalidProviderToken is the default (reference/apns.md §3.1)."""
    assert reason(Apns().send(KEY.provider_token(int(iat)))) == "InvalidProviderToken"


def test_future_iat_answer_and_leeway_are_configurable():
    """future_iat_reason=None accepts it as Pushy's and APNSwift's mocks do; the leeway holds."""
    lenient = Apns(ApnsOptions(future_iat_reason=None))
    assert isinstance(lenient.send(KEY.provider_token(int(REAL_START + HOUR))), Accepted)
    default = Apns()
    assert isinstance(default.send(KEY.provider_token(int(REAL_START + 59))), Accepted)


def test_first_sight_memory_is_pruned_without_reviving_old_credentials():
    """Forgotten credentials are refused when they come back: neither clock makes them plausible."""
    clocks = Clocks()
    sight = FirstSight(clocks.sim, clocks.real, leeway=60)
    sight.issued_at("old", REAL_START, HOUR)
    clocks.advance(3 * HOUR)
    clocks.tick(2 * HOUR)
    for n in range(1100):  # past the pruning cadence
        sight.issued_at(f"c{n}", clocks.real_t, HOUR)
    assert len(sight) == 1100  # "old" is forgotten
    assert clocks.sim.now() - sight.issued_at("old", REAL_START, HOUR) > HOUR


# -- Google OAuth ---------------------------------------------------------------------------------

ACCOUNT = ServiceAccount.generate("demo-proj")


def assertion(iat: float) -> str:
    claims = {
        "iss": ACCOUNT.client_email,
        "scope": FIREBASE_MESSAGING_SCOPE,
        "aud": "https://oauth2.googleapis.com/token",
        "iat": int(iat),
        "exp": int(iat) + 3600,
    }
    return jwt.encode(
        claims, ACCOUNT.private_key_pem, algorithm="RS256", headers={"kid": ACCOUNT.private_key_id}
    )


def oauth() -> tuple[OAuthEndpoint, Clocks]:
    clocks = Clocks()
    return OAuthEndpoint(clocks.sim, [ACCOUNT], real_clock=clocks.real), clocks


def grant(endpoint: OAuthEndpoint, token: str) -> TokenGranted | OAuthError:
    return endpoint.grant({"grant_type": JWT_BEARER_GRANT, "assertion": token})


def test_an_assertion_signed_with_real_time_is_granted_after_days_of_advance():
    """google-auth signs with the wall clock: its assertion is good however far the clock went."""
    endpoint, clocks = oauth()
    clocks.advance(10 * DAY)
    assert isinstance(grant(endpoint, assertion(clocks.real_t)), TokenGranted)


def test_a_replayed_assertion_ages_on_the_simulation_clock():
    """The same assertion, two virtual hours later, is past its exp: invalid_grant."""
    endpoint, clocks = oauth()
    kept = assertion(clocks.real_t)
    assert isinstance(grant(endpoint, kept), TokenGranted)
    clocks.advance(2 * HOUR)
    clocks.tick(RESIGN_WINDOW)
    refused = grant(endpoint, kept)
    assert isinstance(refused, OAuthError) and refused.error == "invalid_grant"


def test_an_assertion_signed_again_in_the_same_second_is_fresh():
    """RS256 is deterministic: re-signed within the same real second after an advance, the
    assertion is the same text; seen again within RESIGN_WINDOW real seconds of its iat it is
    taken as newly signed (not as a replay)."""
    endpoint, clocks = oauth()
    assert isinstance(grant(endpoint, assertion(clocks.real_t)), TokenGranted)
    clocks.advance(2 * HOUR)
    assert isinstance(grant(endpoint, assertion(clocks.real_t)), TokenGranted)


def test_issued_access_tokens_expire_on_the_simulation_clock():
    """An access token is good for 3599 s of the simulation's clock, then UNAUTHENTICATED."""
    endpoint, clocks = oauth()
    granted = grant(endpoint, assertion(clocks.real_t))
    assert isinstance(granted, TokenGranted)
    header = f"Bearer {granted.access_token.token}"
    clocks.advance(3598)
    assert endpoint.check_bearer(header) is BearerCheck.OK
    clocks.advance(2)
    assert endpoint.check_bearer(header) is BearerCheck.EXPIRED


def test_an_assertion_from_the_future_is_refused():
    """iat an hour ahead of both clocks: Google's timeframe error (reference/fcm.md §3)."""
    endpoint, clocks = oauth()
    refused = grant(endpoint, assertion(clocks.real_t + HOUR))
    assert isinstance(refused, OAuthError) and "reasonable timeframe" in refused.description
