"""What an iPhone does with pushes to an app's special tokens: VoIP (PushKit), Live Activities
(ActivityKit, push-to-start and per-activity tokens), push-to-talk and location pushes.

An app declares capabilities at install (``IosPhone.install(..., capabilities=...)``); at every
launch it gets one token per capability, separate from its notification token (reference/apns.md
§1.4, §5.3). A push reaching one of them never becomes a notification on the tray:

- VoIP: PushKit wakes the app, which must report an incoming call to CallKit. Apple (PushKit,
  ``pushRegistry(_:didReceiveIncomingPushWith:for:completion:)``, iOS 13+): "If you fail to report
  a call to CallKit, the system will terminate your app. Repeatedly failing to report calls may
  cause the system to stop delivering any more VoIP push notifications to your app." How many
  failures is undocumented [U]: ``IosPhone.voip_failure_limit`` (3 in a row by default);
- Live Activities: ``devices/ios_activity.py``;
- push-to-talk and location: handed to the code that handles them (``SpecialPushReceived``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, cast

from devices import events as ev
from devices.apps import CAPABILITY_TOKENS, AppState, InstalledApp, IosApp
from devices.errors import DeviceError, NotFound
from devices.ios_activity import LiveActivity, start_from_push
from devices.ios_background import BackgroundPushes
from devices.push_service import ApnsPushService

#: VoIP pushes in a row an app may fail to report as calls before iOS stops delivering them [U].
DEFAULT_VOIP_FAILURE_LIMIT = 3

#: The code that receives each kind of push (Apple's PushToTalk and CoreLocation frameworks).
_CALLBACKS = {
    "pushtotalk": "PTChannelManagerDelegate.incomingPushResult",
    "location": "CLLocationPushServiceExtension.didReceiveLocationPushPayload",
}


def capabilities_of(names: Iterable[str]) -> frozenset[str]:
    """``names`` checked against what an iOS app may declare."""
    capabilities = frozenset(names)
    unknown = capabilities - CAPABILITY_TOKENS.keys()
    if unknown:
        raise DeviceError(
            f"unknown capability {', '.join(sorted(unknown))}: use {', '.join(CAPABILITY_TOKENS)}"
        )
    return capabilities


class SpecialPushes(BackgroundPushes):
    """The special-token part of :class:`devices.ios.IosPhone` (module doc)."""

    __slots__ = ("voip_failure_limit",)

    def __init__(
        self, phone_id: str, *, voip_failure_limit: int = DEFAULT_VOIP_FAILURE_LIMIT, **kwargs: Any
    ) -> None:
        self.voip_failure_limit = voip_failure_limit
        super().__init__(phone_id, **kwargs)

    # -- what the app and the user do ---------------------------------------------------------

    def start_live_activity(
        self,
        app_id: str,
        attributes_type: str,
        attributes: Mapping[str, Any] | None = None,
        content_state: Mapping[str, Any] | None = None,
        *,
        stale_date: float | None = None,
        relevance_score: float = 0.0,
    ) -> LiveActivity:
        """The app calls ``Activity.request`` with push updates: a new Live Activity on the lock
        screen with its own push token. Apps start them only from the foreground."""
        app = self._ios(self.app(app_id))
        if "liveactivity" not in app.capabilities:
            raise DeviceError(f"{app_id} did not declare the liveactivity capability")
        if app.state is not AppState.FOREGROUND:
            raise DeviceError(f"{app_id} can start a Live Activity only in the foreground")
        aps = {
            "attributes-type": attributes_type,
            "attributes": dict(attributes or {}),
            "content-state": dict(content_state or {}),
            "relevance-score": relevance_score,
        }
        if stale_date is not None:
            aps["stale-date"] = stale_date
        return self._start_activity(app, aps, None)

    def end_live_activity(
        self,
        app_id: str,
        activity_id: str,
        content_state: Mapping[str, Any] | None = None,
        *,
        dismissal_date: float | None = None,
    ) -> LiveActivity:
        """The app ends an activity (``Activity.end``); it stays on the lock screen until
        ``dismissal_date`` (default: 4 hours)."""
        app = self._ios(self.app(app_id))
        activity = self._activity(app, activity_id)
        if activity.ended_at is None:
            if content_state is not None:
                activity.content_state = dict(content_state)
            activity.end(self._clock.now(), dismissal_date)
            self._activity_changed(activity, "ended", self._clock.now())
        self._refresh(app)
        return activity

    def live_activities(self, app_id: str | None = None) -> list[LiveActivity]:
        """The Live Activities on the lock screen (not dismissed), most relevant first."""
        apps = [self._ios(self.app(app_id))] if app_id else [self._ios(a) for a in self.apps]
        shown = []
        for app in apps:
            self._refresh(app)
            shown += [a for a in app.activities.values() if a.dismissed_at is None]
        return sorted(shown, key=lambda a: -a.relevance_score)

    def set_reports_calls(self, app_id: str, reports: bool) -> None:
        """Whether the app reports VoIP pushes to CallKit (a well-behaved app does)."""
        self._ios(self.app(app_id)).reports_calls = reports

    # -- tokens and pushes --------------------------------------------------------------------

    def _register_special(self, app: IosApp) -> None:
        """At launch: one token per declared capability, announced when new."""
        for capability in sorted(app.capabilities):
            kind = CAPABILITY_TOKENS[capability]
            token = self._apns.register(self.phone_id, app.app_id, app.environment, kind=kind)
            if app.special_tokens.get(kind) != token:
                app.special_tokens[kind] = token
                self._emit(ev.SpecialTokenReceived, app_id=app.app_id, kind=kind, token=token)

    def _special_push(
        self,
        app: IosApp,
        kind: str,
        activity_id: str | None,
        token: str,
        push_id: str,
        payload: Mapping[str, Any],
    ) -> None:
        self._refresh(app)
        aps = payload.get("aps")
        aps = aps if isinstance(aps, Mapping) else {}
        data = {k: v for k, v in payload.items() if k != "aps"}
        if kind == "voip":
            self._voip(app, token, push_id, data)
        elif kind == "pushtostart":
            if aps.get("event") != "start":  # APNs accepts it; what iOS does is [U]: nothing
                self._drop(app, token, push_id, "a push-to-start token only starts Live Activities")
            else:
                self._start_activity(app, aps, push_id)
        elif activity_id is not None:
            self._activity_push(app, app.activities[activity_id], push_id, aps)
        else:
            self._wake(app)
            self._emit(
                ev.SpecialPushReceived,
                app_id=app.app_id,
                kind=kind,
                token=token,
                push_id=push_id,
                callback=_CALLBACKS[kind],
                data=data,
            )

    def _voip(self, app: IosApp, token: str, push_id: str, data: Mapping[str, Any]) -> None:
        if app.voip_stopped:
            reason = "VoIP pushes stopped: the app repeatedly failed to report calls"
            self._drop(app, token, push_id, reason)
            return
        # PushKit launches the app in the background if it is not running (after a force-quit
        # too: [U]).
        self._wake(app)
        self._emit(
            ev.VoipPushReceived,
            app_id=app.app_id,
            token=token,
            push_id=push_id,
            reported_call=app.reports_calls,
            data=dict(data),
        )
        if app.reports_calls:
            app.voip_failures = 0  # "repeatedly": failures in a row [U]
            return
        app.voip_failures += 1
        self._set_state(app, AppState.NOT_RUNNING)
        reason = "a VoIP push was not reported to CallKit as an incoming call"
        self._emit(ev.AppTerminated, app_id=app.app_id, reason=reason, push_id=push_id)
        if app.voip_failures >= self.voip_failure_limit:
            app.voip_stopped = True
            self._emit(ev.VoipPushesStopped, app_id=app.app_id, failures=app.voip_failures)

    def _start_activity(
        self, app: IosApp, aps: Mapping[str, Any], push_id: str | None
    ) -> LiveActivity:
        activity_id = f"activity-{len(app.activities) + 1}"
        token = self._apns.register(
            self.phone_id,
            app.app_id,
            app.environment,
            kind="liveactivity",
            activity_id=activity_id,
        )
        now = self._clock.now()
        activity = start_from_push(activity_id, app.app_id, token, aps, now)
        app.activities[activity_id] = activity
        if push_id is not None:
            self._wake(app)  # the system wakes the app to hand it the update token (§5.3)
        self._emit(
            ev.SpecialTokenReceived,
            app_id=app.app_id,
            kind="liveactivity",
            token=token,
            activity_id=activity_id,
        )
        self._activity_changed(activity, "started", now, push_id)
        self._refresh(app)
        return activity

    def _activity_push(
        self, app: IosApp, activity: LiveActivity, push_id: str, aps: Mapping[str, Any]
    ) -> None:
        now = self._clock.now()
        state = activity.state(now)
        if state in ("ended", "dismissed"):
            self._drop(app, activity.token, push_id, f"the Live Activity has {state}")
            return
        if aps.get("event") == "start":  # [U], as for updates to the push-to-start token
            reason = "an update token cannot start a Live Activity (use the push-to-start token)"
            self._drop(app, activity.token, push_id, reason)
            return
        change = activity.apply(aps, now)
        if change is None:
            reason = "older timestamp than the content shown"
            self._drop(app, activity.token, push_id, reason)
            return
        self._activity_changed(activity, change, now, push_id)
        self._refresh(app)

    def _refresh(self, app: IosApp) -> None:
        """File the changes time brought (stale, ended at 8 hours, dismissed) at their times."""
        for activity in app.activities.values():
            for at, change in activity.due(self._clock.now()):
                self._activity_changed(activity, change, at)
                if change == "dismissed":
                    # Off the lock screen: its token stops working, like an uninstalled app's.
                    self._push_service.unregister(activity.token)

    def _activity_changed(
        self, activity: LiveActivity, change: str, at: float, push_id: str | None = None
    ) -> None:
        alert = activity.alert if push_id is not None else {}
        self._emit_event(
            ev.LiveActivityChanged(
                at=at,
                phone_id=self.phone_id,
                app_id=activity.app_id,
                activity_id=activity.activity_id,
                change=change,
                token=activity.token,
                content_state=dict(activity.content_state),
                relevance_score=activity.relevance_score,
                stale_at=activity.stale_at,
                dismiss_at=activity.dismiss_at,
                push_id=push_id,
                alert_title=_text(alert.get("title")),
                alert_body=_text(alert.get("body")),
            )
        )

    # -- helpers ------------------------------------------------------------------------------

    def _activity(self, app: IosApp, activity_id: str) -> LiveActivity:
        activity = app.activities.get(activity_id)
        if activity is None:
            raise NotFound(f"{app.app_id} has no Live Activity {activity_id!r}")
        return cast(LiveActivity, activity)

    def _wake(self, app: IosApp) -> None:
        if app.state in (AppState.NOT_RUNNING, AppState.FORCE_QUIT):
            self._set_state(app, AppState.BACKGROUND)

    def _drop(self, app: InstalledApp, token: str, push_id: str, reason: str) -> None:
        self._emit(ev.PushDropped, token=token, push_id=push_id, reason=reason, app_id=app.app_id)

    @property
    def _apns(self) -> ApnsPushService:
        return cast(ApnsPushService, self._push_service)


def _text(value: Any) -> str | None:
    if isinstance(value, Mapping):  # Live Activity alerts are {loc-key, loc-args} (apns.md §1.6)
        value = value.get("loc-key")
    return None if value is None else str(value)
