"""An iPhone's background (silent) pushes: ``content-available`` wakes the app under a throttle
(reference/devices.md §1.8); the part of :class:`devices.ios.IosPhone` about them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from devices import events as ev
from devices.apps import AppState, InstalledApp, IosApp
from devices.base import Phone
from devices.errors import DeviceError
from devices.pushes import IncomingPush

#: Background pushes the system lets through per day, device-wide. Apple publishes no number and
#: says to send "no more than two or three per hour" (devices.md §1.8) [U]: two an hour.
DEFAULT_BACKGROUND_BUDGET = 48
#: The throttle's budgets "reset every 24 h" (devices.md §1.8, Apple DTS [S]).
BUDGET_WINDOW_SECONDS = 24 * 3600.0

DID_RECEIVE = "application:didReceiveRemoteNotification"


@dataclass(frozen=True, slots=True)
class HeldPush:
    """A background push the throttle holds back; only the newest per app is kept (§1.8)."""

    token: str
    push_id: str
    notification_id: str | None
    data: Mapping[str, Any]
    held_since: float


class BackgroundPushes(Phone):
    """The background-push part of an iPhone: the device-wide daily budget, the held push."""

    __slots__ = ("_budget_used", "_window_start", "background_budget")

    def __init__(
        self, phone_id: str, *, background_budget: int = DEFAULT_BACKGROUND_BUDGET, **kwargs: Any
    ) -> None:
        self.background_budget = background_budget
        self._budget_used = 0
        self._window_start: float | None = None
        super().__init__(phone_id, **kwargs)

    def background_budget_left(self) -> int:
        """Background pushes that may still wake apps in this 24-hour window."""
        self._roll_window()
        return max(0, self.background_budget - self._budget_used)

    def _discard_held(self, app: InstalledApp, why: str) -> None:
        ios = self._ios(app)
        held, ios.held = ios.held, None
        if held is not None:
            self._emit(
                ev.PushDropped,
                token=held.token,
                push_id=held.push_id,
                reason=f"held background push discarded: {why}",
                app_id=app.app_id,
                notification_id=held.notification_id,
            )

    def _background_push(self, app: IosApp, push: IncomingPush, token: str, push_id: str) -> None:
        """``content-available``: wake the app, under the throttle (devices.md §1.8)."""
        now = self._clock.now()
        if app.state is AppState.FORCE_QUIT:
            self._emit(
                ev.PushDropped,
                token=token,
                push_id=push_id,
                reason="app was force-quit: no background pushes until the user launches it",
                app_id=app.app_id,
                notification_id=push.notification_id,
            )
            return
        if app.state is AppState.FOREGROUND or app.debugger_attached or self._take_budget():
            self._hand_data(app, token, push_id, push.data, None)
            return
        older, app.held = app.held, HeldPush(token, push_id, push.notification_id, push.data, now)
        if older is not None:
            self._emit(
                ev.PushDropped,
                token=older.token,
                push_id=older.push_id,
                reason="replaced by a newer held background push",
                app_id=app.app_id,
                notification_id=older.notification_id,
            )
        self._emit(
            ev.BackgroundPushHeld,
            app_id=app.app_id,
            token=token,
            push_id=push_id,
            notification_id=push.notification_id,
            reason="throttled: the daily background budget is spent",
        )

    def _hand_data(
        self,
        app: InstalledApp,
        token: str,
        push_id: str,
        data: Mapping[str, Any],
        held_since: float | None,
    ) -> None:
        app.data_pushes.append(dict(data))
        notification_id = data.get("notification_id")
        notification_id = None if notification_id is None else str(notification_id)
        self._emit(
            ev.DataPushReceived,
            app_id=app.app_id,
            token=token,
            push_id=push_id,
            notification_id=notification_id,
            data=dict(data),
            callback=DID_RECEIVE,
            held_since=held_since,
        )
        self._report_received(app, token, notification_id)

    def _take_budget(self) -> bool:
        self._roll_window()
        if self._budget_used >= self.background_budget:
            return False
        if self._window_start is None:
            self._window_start = self._clock.now()
        self._budget_used += 1
        return True

    def _roll_window(self) -> None:
        start = self._window_start
        if start is not None and self._clock.now() - start >= BUDGET_WINDOW_SECONDS:
            self._window_start, self._budget_used = None, 0

    @staticmethod
    def _ios(app: InstalledApp) -> IosApp:
        if not isinstance(app, IosApp):  # pragma: no cover - an IosPhone only makes IosApps
            raise DeviceError(f"{app.app_id} is not an iOS app")
        return app
