"""Token hygiene checks: prune dead tokens, follow rotated ones, reach every device
(reference/sender-rules.md "Token hygiene" and "Multi-device")."""

from __future__ import annotations

from simulator.audit.model import AuditContext, Check, Verdict, failed, passed, short


def _after_refusal(statuses: list[int], refused: int) -> int:
    """Requests after the first one answered ``refused``."""
    return len(statuses) - statuses.index(refused) - 1 if refused in statuses else 0


async def _prune(ctx: AuditContext, platform: str, status: int, reason: str) -> Verdict:
    user, (phone,) = await ctx.user([platform])
    token = ctx.token(phone)
    ctx.sim.fault("apns" if platform == "ios" else "fcm", status=status, reason=reason, token=token)
    for _ in range(2):
        await ctx.notify(user)
    statuses = [r.status for r in ctx.requests(token)]
    if status not in statuses:
        return Verdict("error", f"no request to {short(token)} was answered {status}: {statuses}")
    again = _after_refusal(statuses, status)
    evidence = (
        f"token {short(token)}: 2 notifications, answers {statuses}; "
        f"{again} request(s) after the first {status} {reason}"
    )
    return passed(evidence) if again == 0 else failed(evidence)


async def _prune_410(ctx: AuditContext) -> Verdict:
    return await _prune(ctx, "ios", 410, "Unregistered")


async def _prune_404(ctx: AuditContext) -> Verdict:
    return await _prune(ctx, "android", 404, "UNREGISTERED")


#: How long before its registration a stale 410 says the token became invalid: more than the
#: clock runs ahead of real time in an audit (the checks that advance it run last), so an outside
#: backend that stamps registrations with real time sees it as older too.
STALE = 86400.0


async def _prune_410_timestamp(ctx: AuditContext) -> Verdict:
    user, (phone,) = await ctx.user(["ios"])
    token = ctx.token(phone)
    registered = ctx.sim.clock.now()  # the app posted its token just before
    after: list[int] = []
    for invalidated_at in (registered - STALE, None):  # stale, then current: after registering
        ctx.sim.fault(
            "apns",
            status=410,
            reason="Unregistered",
            token=token,
            times=1,
            invalidated_at=invalidated_at,
        )
        await ctx.notify(user)
        since = ctx.sim.clock.now()
        await ctx.notify(user)
        after.append(len(ctx.requests(token, since)))
    kept, pruned = after
    evidence = (
        f"token {short(token)}: after a 410 whose timestamp is a day before the app posted the "
        f"token, {kept} request(s) to it for the next notification; after a 410 timestamped "
        f"after that, {pruned}"
    )
    return passed(evidence) if kept == 1 and pruned == 0 else failed(evidence)


async def _rotation(ctx: AuditContext) -> Verdict:
    user, (phone,) = await ctx.user(["ios"])
    old = ctx.token(phone)
    phone.restore_to_new_device()
    phone.launch(ctx.app_id)  # the app registers at launch and posts its new token
    await ctx.sim.settle()
    new = ctx.token(phone)
    if new == old:
        return Verdict("error", "the restore did not rotate the token")
    since = ctx.sim.clock.now()
    await ctx.notify(user)
    to_old, to_new = len(ctx.requests(old, since)), len(ctx.requests(new, since))
    evidence = f"after rotation {short(old)} → {short(new)}: {to_old} push(es) to the old token, {to_new} to the new"
    return passed(evidence) if to_old == 0 and to_new == 1 else failed(evidence)


async def _all_devices(ctx: AuditContext) -> Verdict:
    user, phones = await ctx.user(["ios", "ios", "android", "android"])
    phones[0].launch(ctx.app_id)  # the same token posted twice: still one device
    await ctx.sim.settle()
    since, seq = ctx.sim.clock.now(), ctx.sim.timeline.last_seq
    await ctx.notify(user)
    counts = {short(ctx.token(p)): len(ctx.requests(ctx.token(p), since)) for p in phones}
    shown = [ctx.shown(p, seq) for p in phones]
    evidence = f"4 devices, requests per token {counts}, shown per phone {shown}"
    ok = all(n == 1 for n in counts.values()) and all(n == 1 for n in shown)
    return passed(evidence) if ok else failed(evidence)


TOKEN_CHECKS = (
    Check(
        "APNS-PRUNE-410",
        "prunes a token after APNs 410",
        "After 410 Unregistered, never push to that token again (unless the app hands it over "
        "again).",
        "A3 handling-notification-responses-from-apns; AF5 (developer.apple.com/forums/thread/806522)",
        _prune_410,
    ),
    Check(
        "APNS-410-TS",
        "prunes on a 410 only if the token was not posted again since",
        "A 410's timestamp (milliseconds) is when the token became invalid: prune only if the "
        "token's last registration is older; keep a token the app posted after it.",
        "A3 handling-notification-responses-from-apns; pushy PushNotificationResponse "
        "(getTokenInvalidationTimestamp)",
        _prune_410_timestamp,
    ),
    Check(
        "FCM-PRUNE-404",
        "prunes a token after FCM UNREGISTERED",
        "After 404 UNREGISTERED, delete the token and stop sending to it.",
        "G2 firebase.google.com/docs/cloud-messaging/manage-tokens; G3 ErrorCode",
        _prune_404,
    ),
    Check(
        "TOKEN-ROTATION",
        "replaces a rotated token",
        "When the app posts a new token for the same device, send to it and stop using the old one.",
        "G2 manage-tokens (update tokens when they change); A3 (send unless the app hands you "
        "a new token)",
        _rotation,
    ),
    Check(
        "USER-ALL-DEVICES",
        "delivers to every device of a user",
        "One request per active token of the user, on both services, duplicates removed.",
        "A1 sending-notification-requests-to-apns (one token per :path); G2 manage-tokens",
        _all_devices,
    ),
)
