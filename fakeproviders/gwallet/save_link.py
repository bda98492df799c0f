"""The "Save to Google Wallet" link: a JWT signed by the issuer's service account (sans-IO).

reference/wallet.md §8: ``https://pay.google.com/gp/v/save/<jwt>``, RS256 with the service
account's key (``kid`` = ``private_key_id``), claims ``iss`` = the account's email,
``aud: "google"``, ``typ: "savetowallet"``, ``iat``, ``origins`` and a ``payload`` with
``loyaltyClasses`` and ``loyaltyObjects``. ``exp`` is not documented; when present it is honoured
on the injected clock. Google shows a generic error page to users for a bad link; the reasons here
are pushsim's own words for what is wrong [U Google's developer-facing texts].
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt

from fakeproviders.fcm.service_account import ServiceAccount

SAVE_URL = "https://pay.google.com/gp/v/save/"
AUDIENCE = "google"
TYPE = "savetowallet"
#: Pass kinds of the payload; the fake keeps loyalty cards only.
LOYALTY_KEYS = ("loyaltyClasses", "loyaltyObjects")


@dataclass(frozen=True, slots=True)
class SaveRequest:
    """A verified save link: who signed it and the loyalty classes and objects it carries."""

    client_email: str
    classes: tuple[dict[str, Any], ...]
    objects: tuple[dict[str, Any], ...]


class LinkRefused(Exception):
    """A save link Google Wallet would not accept; the message says why."""


def read_save_link(
    link: str,
    accounts: Callable[[str], ServiceAccount | None],
    now: float,
    max_skew: float = 300.0,
) -> SaveRequest:
    """Verify ``link`` (the URL, or the bare JWT); ``accounts`` finds a service account by email."""
    token = link.removeprefix(SAVE_URL) if link.startswith(SAVE_URL) else link
    if "/" in token or token.count(".") != 2:
        raise LinkRefused(f"not a Save to Google Wallet link (expected {SAVE_URL}<jwt>)")
    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise LinkRefused(f"the link's JWT cannot be read: {exc}") from None
    account = accounts(str(unverified.get("iss", "")))
    if account is None:
        raise LinkRefused(f"the JWT's iss {unverified.get('iss')!r} is not a known service account")
    kid = header.get("kid")
    if header.get("alg") != "RS256" or (kid is not None and kid != account.private_key_id):
        raise LinkRefused("the JWT is not signed RS256 by the service account's key")
    try:
        # Time is checked below on the injected clock, not PyJWT's wall clock.
        claims: dict[str, Any] = jwt.decode(
            token,
            account.public_key_pem,
            algorithms=["RS256"],
            audience=AUDIENCE,
            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
        )
    except jwt.InvalidAudienceError:
        raise LinkRefused(f'the JWT\'s aud must be "{AUDIENCE}"') from None
    except jwt.MissingRequiredClaimError:
        raise LinkRefused(f'the JWT has no aud (must be "{AUDIENCE}")') from None
    except jwt.PyJWTError:
        raise LinkRefused(
            "the JWT's signature does not verify with the service account's key"
        ) from None
    if claims.get("typ") != TYPE:
        raise LinkRefused(f'the JWT\'s typ must be "{TYPE}", not {claims.get("typ")!r}')
    iat, exp = _number(claims.get("iat")), claims.get("exp")
    if iat is None or iat > now + max_skew:
        raise LinkRefused("the JWT's iat is missing or in the future")
    if exp is not None and (_number(exp) or 0.0) < now - max_skew:
        raise LinkRefused("the JWT has expired")
    payload = claims.get("payload")
    if not isinstance(payload, dict):
        raise LinkRefused("the JWT has no payload object")
    others = sorted(k for k in payload if k not in LOYALTY_KEYS)
    if others:
        raise LinkRefused(f"pushsim's fake Wallet keeps loyalty passes only, not {others}")
    classes, objects = (payload.get(k, []) for k in LOYALTY_KEYS)
    if not isinstance(classes, list) or not isinstance(objects, list):
        raise LinkRefused("payload.loyaltyClasses and payload.loyaltyObjects must be lists")
    if not objects:
        raise LinkRefused("the payload has no loyaltyObjects to save")
    if not all(isinstance(o, dict) and isinstance(o.get("id"), str) for o in classes + objects):
        raise LinkRefused("every class and object in the payload needs a string id")
    return SaveRequest(account.client_email, tuple(classes), tuple(objects))


def _number(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None
