"""An iPhone: APNs pushes, UserNotifications authorization, background-push throttling."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from devices import events as ev
from devices.apps import BUILD_ENVIRONMENTS, Answer, AppState, InstalledApp, IosApp
from devices.base import IOS_TOKEN_RULES, TokenRules, _answer
from devices.errors import DeviceError
from devices.ios_special import SpecialPushes, capabilities_of
from devices.permissions import Permission, Presentation
from devices.pushes import IncomingPush, read_apns
from devices.tray import TrayEntry
from devices.wallet import WALLET_APP_ID, Wallet, WalletSetup, WalletUnavailable

WILL_PRESENT = "userNotificationCenter:willPresent"


class IosPhone(SpecialPushes):
    """An iPhone: pushes come from APNs as ``aps`` payloads (reference/apns.md §1.5, devices.md §1).

    ``background_budget`` is the device-wide number of background pushes per 24 hours that wake
    apps in the background; past it the newest one per app is held until the app is launched.
    """

    __slots__ = ("_installing", "_wallet")
    platform: ClassVar[str] = "ios"
    default_token_rules: ClassVar[TokenRules] = IOS_TOKEN_RULES

    def __init__(
        self, phone_id: str, *, wallet: WalletSetup | None = None, **settings: Any
    ) -> None:
        """``wallet`` lets the phone hold Wallet passes (:mod:`devices.wallet`). ``settings``:
        ``background_budget`` (``ios_background``), ``voip_failure_limit`` (``ios_special``),
        and :class:`devices.base.Phone`'s."""
        # The build and capabilities of the app being installed.
        self._installing: tuple[str, frozenset[str]] = ("development", frozenset())
        super().__init__(phone_id, **settings)
        self._wallet = (
            None
            if wallet is None
            else Wallet(
                phone_id,
                wallet,
                self._apns,
                now=self._clock.now,
                emit=self._emit,
                show=self._show_wallet_notification,
                online=lambda: self.online,
            )
        )

    @property
    def has_wallet(self) -> bool:
        return self._wallet is not None

    @property
    def wallet(self) -> Wallet:
        """The Wallet app (passes and their switches); raises if the phone has none."""
        if self._wallet is None:
            raise WalletUnavailable(f"{self.phone_id} was made without Wallet")
        return self._wallet

    def push_arrived(
        self, token: str, push_id: str, headers: Mapping[str, str], payload: Mapping[str, Any]
    ) -> None:
        if self._wallet is not None and self._wallet.holds(token):
            self._wallet.push_arrived(token, push_id)  # a pass-type push: a wake-up (§5.1)
            return
        super().push_arrived(token, push_id, headers, payload)

    # -- what the user and the app do ---------------------------------------------------------

    def install(
        self,
        app_id: str,
        user_id: str,
        answer: Answer | str = Answer.ALLOW,
        *,
        ask: bool = True,
        provisional: bool = False,
        app_clip: bool = False,
        build: str = "development",
        capabilities: Iterable[str] = (),
    ) -> InstalledApp:
        """Install and launch; ``provisional`` asks for quiet delivery (no prompt), ``app_clip``
        installs an App Clip with ephemeral authorization (devices.md §1.1). ``build`` is
        ``"development"`` (sandbox tokens, Xcode) or ``"production"`` (production tokens: App
        Store, TestFlight, ad hoc; reference/apns.md §1.1). ``capabilities`` (``"voip"``,
        ``"liveactivity"``, ``"pushtotalk"``, ``"location"``) give the app a token of its own for
        each (``devices/ios_special.py``)."""
        if build not in BUILD_ENVIRONMENTS:
            raise DeviceError(f"unknown build {build!r}: use development or production")
        self._installing = (build, capabilities_of(capabilities))
        try:
            app = super().install(
                app_id, user_id, answer, ask=ask and not (provisional or app_clip)
            )
        finally:
            self._installing = ("development", frozenset())
        if provisional:
            self._request(self._ios(app), Answer.ALLOW, provisional=True)
        elif app_clip:
            authorization = self._ios(app).authorization
            authorization.grant_ephemeral(self._clock.now())
            self._emit(
                ev.PermissionPromptSkipped,
                app_id=app_id,
                reason="App Clip: ephemeral authorization needs no prompt",
                permission=authorization.status.value,
            )
        return app

    def request_permission(
        self, app_id: str, answer: Answer | str, *, provisional: bool = False
    ) -> None:
        """``requestAuthorization``: prompts only the first time (§1.2); ``provisional`` never
        prompts."""
        self._request(self._ios(self.app(app_id)), _answer(answer), provisional=provisional)

    def set_notifications_enabled(self, app_id: str, enabled: bool) -> None:
        app = self._ios(self.app(app_id))
        app.authorization.set_enabled(enabled)
        self._emit(
            ev.NotificationSettingChanged,
            app_id=app_id,
            enabled=enabled,
            permission=app.permission.value,
        )

    def set_alerts_enabled(self, app_id: str, enabled: bool) -> None:
        """Settings > Notifications > the app > Alerts (lock screen, centre, banners)."""
        self._set_option(app_id, "alerts", enabled)

    def set_sounds_enabled(self, app_id: str, enabled: bool) -> None:
        self._set_option(app_id, "sounds", enabled)

    def set_badges_enabled(self, app_id: str, enabled: bool) -> None:
        self._set_option(app_id, "badges", enabled)

    def promote(self, app_id: str) -> None:
        """The user keeps a provisional app's notifications and delivers them prominently."""
        app = self._ios(self.app(app_id))
        app.authorization.promote()
        self._emit(
            ev.NotificationSettingChanged,
            app_id=app_id,
            enabled=True,
            setting="promoted",
            permission=app.permission.value,
        )

    def force_stop(self, app_id: str) -> None:
        """Swipe the app away in the app switcher (force-quit): no background pushes until the
        user launches it again or the phone restarts (devices.md §1.8)."""
        app = self.app(app_id)
        self._set_state(app, AppState.FORCE_QUIT)
        self._discard_held(app, "app was force-quit")

    force_quit = force_stop

    def set_debugger_attached(self, app_id: str, attached: bool) -> None:
        """Xcode's debugger attached to the app: background pushes are not throttled (§1.8)."""
        self._ios(self.app(app_id)).debugger_attached = attached
        self._emit(
            ev.NotificationSettingChanged, app_id=app_id, enabled=attached, setting="debugger"
        )

    def badge(self, app_id: str) -> int:
        """The number on the app's icon."""
        return self._ios(self.app(app_id)).badge

    # -- platform hooks -----------------------------------------------------------------------

    def _after_online(self) -> None:
        if self._wallet is not None:
            self._wallet.came_online()

    def _show_wallet_notification(
        self, token: str, push_id: str, serial: str, title: str | None, body: str
    ) -> None:
        self._show(
            TrayEntry(
                entry_id=self.tray.new_entry_id(),
                app_id=WALLET_APP_ID,
                token=token,
                push_id=push_id,
                notification_id=serial,
                title=title,
                body=body,
                shown_at=self._clock.now(),
                data={"serial_number": serial},
            )
        )

    def _new_app(self, app_id: str, user_id: str, remembered: Any) -> InstalledApp:
        # A reinstall keeps the permission unless the phone was wiped (devices.md §1.2 [S]).
        build, capabilities = self._installing
        return IosApp(app_id, user_id, remembered, build=build, capabilities=capabilities)

    def _issue_token(self, app: InstalledApp) -> str:
        return self._apns.register(self.phone_id, app.app_id, self._ios(app).environment)

    def _register(self, app: InstalledApp, reinstalled_from: str | None = None) -> str:
        token = super()._register(app, reinstalled_from)
        self._register_special(self._ios(app))
        return token

    def _remembered_permission(self, app: InstalledApp) -> Any:
        authorization = self._ios(app).authorization
        return None if authorization.status is Permission.EPHEMERAL else authorization

    def _after_launch(self, app: InstalledApp) -> None:
        ios = self._ios(app)
        if ios.authorization.status is Permission.EPHEMERAL:
            ios.authorization.grant_ephemeral(self._clock.now())  # each launch renews it
        held, ios.held = ios.held, None
        if held is not None:
            # "When the user launches the app, the held notification is delivered at once" (§1.8).
            self._hand_data(ios, held.token, held.push_id, held.data, held.held_since)

    def _dismiss_reported(self, app: InstalledApp, entry: TrayEntry) -> bool:
        # Only categories registered with customDismissAction hear of dismissals (§1.9).
        return entry.category is not None and entry.category in self._ios(app).dismiss_categories

    def _handle_push(
        self,
        app: InstalledApp,
        token: str,
        push_id: str,
        headers: Mapping[str, str],
        payload: Mapping[str, Any],
    ) -> None:
        ios = self._ios(app)
        special = ios.special_kind(token)
        if special is not None:
            self._special_push(ios, *special, token, push_id, payload)
            return
        push = read_apns(headers, payload)
        common = {
            "app_id": app.app_id,
            "token": token,
            "push_id": push_id,
            "notification_id": push.notification_id,
        }
        if push.alert:
            self._alert(ios, push, token, push_id)
        elif push.badge is not None and not self._set_badge(ios, push.badge, push_id):
            self._emit(ev.NotificationSuppressed, reason="badges not allowed", **common)
        if push.content_available:
            self._background_push(ios, push, token, push_id)
        elif not push.alert and push.badge is None:
            reason = "nothing to show: no alert, badge or content-available"
            self._emit(ev.NotificationSuppressed, reason=reason, **common)

    # -- alerts -------------------------------------------------------------------------------

    def _alert(self, app: IosApp, push: IncomingPush, token: str, push_id: str) -> None:
        common = {
            "app_id": app.app_id,
            "token": token,
            "push_id": push_id,
            "notification_id": push.notification_id,
        }
        allowed = app.authorization.presentation(self._clock.now())
        if isinstance(allowed, str):
            self._emit(ev.NotificationSuppressed, reason=allowed, **common)
            return
        options = None
        if app.state is AppState.FOREGROUND:
            # In the foreground the app's willPresent decides; no options = silenced (§1.9).
            self._emit(
                ev.NotificationHandedToApp,
                callback=WILL_PRESENT,
                title=push.title,
                body=push.body,
                data=dict(push.data),
                **common,
            )
            self._report_received(app, token, push.notification_id)
            options = app.foreground_presentation
            if not options & {"banner", "list"}:
                self._emit(
                    ev.NotificationSuppressed,
                    reason="silenced in the foreground: willPresent returned no banner or list",
                    **common,
                )
                if "badge" in options and push.badge is not None and allowed.badge:
                    self._set_badge(app, push.badge, push_id)
                return
        banner, sound, badge = _effective(allowed, push, options)
        if push.badge is not None and badge:
            self._set_badge(app, push.badge, push_id)
        self._show_push(
            app,
            token,
            push_id,
            push,
            thread_id=push.thread_id,
            interruption_level=push.interruption_level,
            banner=banner,
            sound=sound,
        )

    def _set_badge(self, app: IosApp, badge: int, push_id: str | None) -> bool:
        """Apply ``aps.badge`` if the user allows badges; returns whether it did."""
        # A number sets the badge, 0 clears it; no "badge" key keeps it (devices.md §1.7).
        allowed = app.authorization.presentation(self._clock.now())
        if isinstance(allowed, str) or not allowed.badge:
            return False
        app.badge = max(0, badge)
        self._emit(ev.BadgeChanged, app_id=app.app_id, badge=app.badge, push_id=push_id)
        return True

    # -- helpers ------------------------------------------------------------------------------

    def _request(self, app: IosApp, answer: Answer, *, provisional: bool) -> None:
        outcome = app.authorization.request(answer.value, provisional=provisional)
        if outcome.shown:
            self._emit(
                ev.PermissionAnswered,
                app_id=app.app_id,
                answer=answer.value,
                permission=app.permission.value,
            )
        else:
            self._emit(
                ev.PermissionPromptSkipped,
                app_id=app.app_id,
                reason=outcome.reason or "",
                permission=app.permission.value,
            )

    def _set_option(self, app_id: str, setting: str, enabled: bool) -> None:
        app = self._ios(self.app(app_id))
        app.authorization.set_option(setting, enabled)
        self._emit(
            ev.NotificationSettingChanged,
            app_id=app_id,
            enabled=enabled,
            setting=setting,
            permission=app.permission.value,
        )


def _effective(
    allowed: Presentation, push: IncomingPush, options: frozenset[str] | None
) -> tuple[bool, bool, bool]:
    """(banner, sound, badge) for an alert the user allows as ``allowed``."""
    banner, sound, badge = allowed.banner, allowed.sound and push.sound, allowed.badge
    if push.interruption_level == "passive":
        # Passive: added to the list, no screen wake, no sound (devices.md §1.7).
        banner = sound = False
    if options is not None:  # foreground: willPresent's options narrow it further
        banner = banner and "banner" in options
        sound = sound and "sound" in options
        badge = badge and "badge" in options
    return banner, sound, badge
