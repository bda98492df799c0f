"""Provider auth, connections, headers and payload checks (reference/sender-rules.md "Provider
auth", "Connections / HTTP/2", "Headers and payload", "FCM specifics").

The long ones (JWT and access-token refresh) advance the simulation's clock instead of waiting:
an hour passes in no time, for pushsim's sender and for an outside one (docs/time.md).
"""

from __future__ import annotations

import json

from simulator.audit.model import AuditContext, Check, Verdict, failed, passed, short
from simulator.simulation import SimulationError

SENDS = 5
HOUR = 3600.0


def _bearers(ctx: AuditContext, token: str) -> list[str]:
    return [
        value
        for entry in ctx.apns_entries(token)
        for name, value in entry.headers
        if name.lower() == "authorization"
    ]


async def _jwt_reuse(ctx: AuditContext) -> Verdict:
    user, (phone,) = await ctx.user(["ios"])
    token = ctx.token(phone)
    for _ in range(SENDS):
        await ctx.notify(user)
    bearers = _bearers(ctx, token)
    distinct = len(set(bearers))
    evidence = f"{len(bearers)} requests to {short(token)} carried {distinct} distinct JWT(s)"
    return passed(evidence) if 0 < distinct <= 2 and distinct < len(bearers) else failed(evidence)


async def _jwt_refresh(ctx: AuditContext) -> Verdict:
    user, (phone,) = await ctx.user(["ios"])
    token = ctx.token(phone)
    await ctx.notify(user)
    before = set(_bearers(ctx, token))
    ctx.sim.advance(HOUR + 60)
    seq, count = ctx.sim.timeline.last_seq, len(ctx.apns_entries(token))
    await ctx.sim.notify(user, title="audit")
    shown = await ctx.wait_shown(phone, seq)
    await ctx.settled()
    later = ctx.apns_entries(token)[count:]
    reasons = [e.reason or "200" for e in later]
    accepted = [e for e in later if e.status == 200]
    renewed = bool(accepted) and all(
        v not in before for e in accepted for n, v in e.headers if n.lower() == "authorization"
    )
    evidence = f"61 minutes on: answers {reasons}; a new JWT was used: {renewed}; shown: {shown}"
    expired = reasons.count("ExpiredProviderToken")
    churn = "TooManyProviderTokenUpdates" in reasons
    ok = shown and renewed and expired <= 1 and not churn
    return passed(evidence) if ok else failed(evidence)


async def _oauth_cache(ctx: AuditContext) -> Verdict:
    user, (phone,) = await ctx.user(["android"])
    log = ctx.sim.fcm.request_log
    await ctx.notify(user)  # the sender has a token now, whatever earlier checks did to time
    grants = log.count(kind="token")
    for _ in range(SENDS):
        await ctx.notify(user)
    during = log.count(kind="token") - grants
    ctx.sim.advance(HOUR)
    seq, grants = ctx.sim.timeline.last_seq, log.count(kind="token")
    await ctx.sim.notify(user, title="audit")
    shown = await ctx.wait_shown(phone, seq)
    await ctx.settled()
    after = log.count(kind="token") - grants
    evidence = (
        f"{during} access-token grant(s) for {SENDS} sends after the first; an hour later "
        f"{after} grant(s), "
        f"shown: {shown}"
    )
    ok = during <= 1 and shown and after <= 2
    return passed(evidence) if ok else failed(evidence)


async def _connection_reuse(ctx: AuditContext) -> Verdict:
    user, _ = await ctx.user(["ios"])
    opened = ctx.sim.apns.connections_opened
    for _ in range(SENDS):
        await ctx.notify(user)
    new = ctx.sim.apns.connections_opened - opened
    evidence = f"{new} new TLS connection(s) to APNs for {SENDS} pushes"
    return passed(evidence) if new <= 1 else failed(evidence)


async def _goaway(ctx: AuditContext) -> Verdict:
    user, (phone,) = await ctx.user(["ios"])
    token = ctx.token(phone)
    ctx.sim.fault("apns", goaway=True, token=token, times=1)
    seq = ctx.sim.timeline.last_seq
    for _ in range(3):
        await ctx.notify(user)
    shown = ctx.shown(phone, seq)
    evidence = f"GOAWAY after the first push; {shown} of 3 notifications shown"
    return passed(evidence) if shown == 3 else failed(evidence)


#: Pushes sent at once to one user's phones on a new connection.
BURST = 6


async def _max_streams(ctx: AuditContext) -> Verdict:
    warm_user, (warm,) = await ctx.user(["ios"])
    user, phones = await ctx.user(["ios"] * BURST)
    # A GOAWAY ends the sender's connection, so the burst goes out on a new one, where APNs
    # allows one stream until the first authenticated answer (reference/apns.md §4).
    ctx.sim.fault("apns", goaway=True, token=ctx.token(warm), times=1)
    await ctx.notify(warm_user)
    apns = ctx.sim.apns
    over, opened, since = apns.streams_over_limit, apns.connections_opened, ctx.sim.clock.now()
    seq = ctx.sim.timeline.last_seq
    await ctx.notify(user)
    over, opened = apns.streams_over_limit - over, apns.connections_opened - opened
    sent = [len(ctx.requests(ctx.token(p), since)) for p in phones]
    if not over and not all(sent):  # passing needs the burst to have been sent
        return Verdict("error", f"the burst was not sent: requests per phone {sent}")
    shown = sum(ctx.shown(p, seq) for p in phones)
    evidence = (
        f"{BURST} pushes at once after a GOAWAY, on {opened} new connection(s) (one stream "
        f"until the first authenticated answer): {over} stream(s) opened beyond the server's "
        f"MAX_CONCURRENT_STREAMS; {shown} of {BURST} shown"
    )
    return passed(evidence) if over == 0 else failed(evidence)


def _headers(ctx: AuditContext, token: str, since: int) -> list[tuple[dict[str, str], str]]:
    return [
        ({k.lower(): v for k, v in e.headers}, e.payload) for e in ctx.apns_entries(token)[since:]
    ]


async def _push_type(ctx: AuditContext) -> Verdict:
    user, (phone,) = await ctx.user(["ios"])
    token = ctx.token(phone)
    await ctx.notify(user, title="alert")
    await ctx.notify(user, kind="data", title=None, data={"sync": "1"})
    sent = _headers(ctx, token, 0)
    types = [h.get("apns-push-type", "(none)") for h, _ in sent]
    evidence = f"alert then data push: apns-push-type {types}"
    ok = len(types) >= 2 and types[0] == "alert" and types[-1] == "background"
    return passed(evidence) if ok else failed(evidence)


async def _background_priority(ctx: AuditContext) -> Verdict:
    user, (phone,) = await ctx.user(["ios"])
    token = ctx.token(phone)
    await ctx.notify(user, kind="data", title=None, data={"sync": "1"})
    sent = _headers(ctx, token, 0)
    if not sent:
        return failed("the data push was not sent")
    headers, payload = sent[-1]
    try:
        aps = json.loads(payload).get("aps", {})
    except (ValueError, AttributeError):
        aps = {}
    priority = headers.get("apns-priority", "(none: 10)")
    visible = sorted(set(aps) & {"alert", "sound", "badge"})
    evidence = (
        f"data push: apns-priority {priority}, content-available {aps.get('content-available')}, "
        f"alert/sound/badge {visible or 'none'}"
    )
    ok = priority == "5" and aps.get("content-available") == 1 and not visible
    return passed(evidence) if ok else failed(evidence)


async def _payload_size(ctx: AuditContext) -> Verdict:
    user, (phone,) = await ctx.user(["ios"])
    token = ctx.token(phone)
    try:
        await ctx.notify(user, title="big", body="x" * 5000)
    except SimulationError as exc:  # the sender refused the request: nothing too big was sent
        refused = f"the sender refused it ({str(exc)[:80]})"
    else:
        refused = "the sender accepted it"
    sizes = [len(e.payload.encode()) for e in ctx.apns_entries(token)]
    evidence = f"a 5 KB body: {refused}; APNs payload sizes {sizes} (limit 4096)"
    return passed(evidence) if all(size <= 4096 for size in sizes) else failed(evidence)


WIRE_CHECKS = (
    Check(
        "APNS-JWT-REUSE",
        "reuses its APNs provider token",
        "One JWT for every request until refresh; never one per request.",
        "A2 establishing-a-token-based-connection-to-apns; AF2; APNSwift #34; PyAPNs2 #76",
        _jwt_reuse,
    ),
    Check(
        "APNS-CONN-REUSE",
        "reuses its HTTP/2 connection",
        "Keep connections open for many pushes (hours to days); never one TLS connection per push.",
        "A1 sending-notification-requests-to-apns (best practices); A6 legacy guide",
        _connection_reuse,
    ),
    Check(
        "H2-GOAWAY",
        "survives a GOAWAY without losing pushes",
        "After GOAWAY, open a new connection and go on; every notification is delivered.",
        "A1 (GOAWAY carries a JSON reason); RFC 9113 §6.8; pushy #865",
        _goaway,
    ),
    Check(
        "H2-MAX-STREAMS",
        "keeps within the server's MAX_CONCURRENT_STREAMS",
        "Never more open streams than the server's SETTINGS_MAX_CONCURRENT_STREAMS, following its "
        "changes; on a new APNs connection one stream until the first authenticated answer "
        f"(here: {BURST} pushes at once right after a GOAWAY).",
        "RFC 9113 §5.1.2; A1 sending-notification-requests-to-apns (one stream until a valid "
        "token); pushy #356, #732",
        _max_streams,
    ),
    Check(
        "APNS-PUSHTYPE",
        "sets apns-push-type to match the payload",
        "alert for alerts; background for a push whose aps holds only content-available.",
        "A1 sending-notification-requests-to-apns",
        _push_type,
    ),
    Check(
        "APNS-BG-PRIO5",
        "sends background pushes at priority 5",
        "A background push: apns-priority 5 (10 is an error), content-available 1, no "
        "alert/sound/badge.",
        "A1; A4 pushing-background-updates-to-your-app",
        _background_priority,
    ),
    Check(
        "PAYLOAD-SIZE",
        "keeps payloads within the limits",
        "Check the size before sending: APNs body at most 4096 bytes; never send what will "
        "draw 413.",
        "A1; A5 generating-a-remote-notification; G3",
        _payload_size,
    ),
    Check(
        "APNS-JWT-REFRESH",
        "renews its APNs provider token before an hour",
        "Every request's JWT is under 60 minutes old; on ExpiredProviderToken sign a new one and "
        "resend once; no TooManyProviderTokenUpdates.",
        "A2; A3 (ExpiredProviderToken: generate a new token); sideshow token.go TokenTimeout",
        _jwt_refresh,
    ),
    Check(
        "FCM-OAUTH-CACHE",
        "caches the FCM access token",
        "Fetch an OAuth access token once and reuse it until near its expiry (an hour); not one "
        "per send.",
        "G6 firebase.google.com/docs/cloud-messaging/auth-server",
        _oauth_cache,
    ),
)
