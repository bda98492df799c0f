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
