"""Retry checks: back off on 429/500/503, honour Retry-After, never retry permanent errors
(reference/sender-rules.md "Retries")."""

from __future__ import annotations

import itertools

from simulator.audit.model import AuditContext, Check, Verdict, failed, passed, short

#: Closer retries than this count as hammering (no backoff at all).
MIN_GAP = 0.2
#: After three failures the last wait must be this many times the first: a backoff that doubles
#: gives 4 (2 with the most "equal jitter" can take off); a fixed interval gives 1.
GROWTH = 1.8
MAX_ATTEMPTS = 5


async def _apns_5xx(ctx: AuditContext) -> Verdict:
    user, (phone,) = await ctx.user(["ios"])
    token = ctx.token(phone)
    ctx.sim.fault("apns", status=500, reason="InternalServerError", token=token, times=1)
    ctx.sim.fault("apns", status=503, reason="ServiceUnavailable", token=token, times=2)
    seq = ctx.sim.timeline.last_seq
    await ctx.sim.notify(user, title="audit")
    shown = await ctx.wait_shown(phone, seq, timeout=2 * ctx.patience)
    await ctx.settled()
    requests = ctx.requests(token)
    gaps = [round(b.at - a.at, 2) for a, b in itertools.pairwise(requests)]
    statuses = [r.status for r in requests]
    evidence = f"token {short(token)}: answers {statuses}, gaps {gaps} s, shown: {shown}"
    ok = shown and statuses[-1] == 200 and len(requests) <= MAX_ATTEMPTS and len(gaps) >= 2
    ok = ok and all(gap >= MIN_GAP for gap in gaps) and gaps[-1] >= GROWTH * gaps[0]
    return passed(evidence) if ok else failed(evidence)


async def _fcm_429(ctx: AuditContext) -> Verdict:
    user, (phone,) = await ctx.user(["android"])
    token = ctx.token(phone)
    wait = 2
    ctx.sim.fault(
        "fcm", status=429, reason="QUOTA_EXCEEDED", retry_after=wait, token=token, times=1
    )
    seq = ctx.sim.timeline.last_seq
    await ctx.sim.notify(user, title="audit")
    shown = await ctx.wait_shown(phone, seq, timeout=2 * ctx.patience)
    await ctx.settled()
    requests = ctx.requests(token)
    statuses = [r.status for r in requests]
    gap = requests[1].at - requests[0].at if len(requests) > 1 else None
    evidence = (
        f"token {short(token)}: 429 with Retry-After: {wait}; answers {statuses}, "
        f"retried after {'never' if gap is None else f'{gap:.2f} s'}, shown: {shown}"
    )
    ok = shown and gap is not None and gap >= wait - 0.05
    return passed(evidence) if ok else failed(evidence)


#: Permanent APNs answers: retrying them changes nothing (A3).
_PERMANENT = ((400, "BadTopic"), (403, "Forbidden"), (413, "PayloadTooLarge"))


async def _never_retry_permanent(ctx: AuditContext) -> Verdict:
    user, phones = await ctx.user(["ios"] * len(_PERMANENT))
    tokens = [ctx.token(p) for p in phones]
    for token, (status, reason) in zip(tokens, _PERMANENT, strict=True):
        ctx.sim.fault("apns", status=status, reason=reason, token=token)
    await ctx.notify(user)
    counts = {
        f"{status} {reason}": len(ctx.requests(token))
        for token, (status, reason) in zip(tokens, _PERMANENT, strict=True)
    }
    evidence = f"requests per token for one notification: {counts}"
    return passed(evidence) if all(n == 1 for n in counts.values()) else failed(evidence)


RETRY_CHECKS = (
    Check(
        "APNS-RETRY-5XX",
        "retries APNs 500/503 with backoff",
        "On 500 InternalServerError and 503 ServiceUnavailable retry, bounded, with a growing "
        f"backoff (here, after 500, 503, 503: every gap at least {MIN_GAP} s, the last at least "
        f"{GROWTH}× the first, at most {MAX_ATTEMPTS} attempts).",
        "A3 handling-notification-responses-from-apns",
        _apns_5xx,
    ),
    Check(
        "FCM-RETRY-429",
        "honours FCM Retry-After on 429",
        "On 429 QUOTA_EXCEEDED wait at least Retry-After before trying again.",
        "G1 firebase.google.com/docs/cloud-messaging/scale-fcm; G3 ErrorCode; G4 "
        "throttling-and-quotas",
        _fcm_429,
    ),
    Check(
        "RETRY-NEVER-PERM",
        "never retries 400, 403, 413",
        "Permanent failures are not retried: the same request would fail the same way.",
        "A3; G1; gorush #420 → PR #507",
        _never_retry_permanent,
    ),
)
