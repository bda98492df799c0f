"""An Android phone: FCM messages, ``POST_NOTIFICATIONS``, channels, the type x state matrix."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Protocol

from devices import events as ev
from devices.apps import AndroidApp, Answer, AppState, InstalledApp
from devices.base import ANDROID_TOKEN_RULES, Phone, TokenRules, _answer
from devices.channels import (
    CHANNELS_API_LEVEL,
    FCM_FALLBACK_CHANNEL,
    Channel,
    Channels,
    Importance,
)
from devices.errors import DeviceError, NotFound
from devices.google_wallet import GooglePass, GoogleWallet, GoogleWalletService
from devices.permissions import AndroidPermission
from devices.push_service import PushService
from devices.pushes import IncomingPush, read_fcm
from devices.tray import TrayEntry

ON_MESSAGE_RECEIVED = "onMessageReceived"
#: The channel a simulated app creates at first launch and names in its manifest.
DEFAULT_CHANNEL_ID = "default"


class FcmPushService(PushService, Protocol):
    """FCM as an Android phone's FCM client talks to it: the common protocol, plus the report
    that a message arrived for an app no longer installed."""

    def report_app_removed(self, token: str) -> None:
        """The app holding ``token`` is gone: FCM marks the token for deletion (devices.md §2.6)."""
        ...


class AndroidPhone(Phone):
    """An Android phone: pushes come from FCM (reference/fcm.md §1.2, devices.md §2).

    Message handling follows the FCM matrix (devices.md §2.3): a ``notification`` message goes to
    the tray through the FCM SDK while the app is in the background or not running (its data waits
    for the tap) and to ``onMessageReceived`` in the foreground; data messages always go to
    ``onMessageReceived``; a force-stopped app gets nothing until the user launches it (§2.4).
    """

    __slots__ = ("_fcm", "_pending_channels", "api_level", "wallet")
    platform: ClassVar[str] = "android"
    default_token_rules: ClassVar[TokenRules] = ANDROID_TOKEN_RULES

    def __init__(
        self,
        phone_id: str,
        *,
        push_service: FcmPushService,
        api_level: int = 34,
        google_wallet: GoogleWalletService | None = None,
        **kwargs: Any,
    ) -> None:
        """``google_wallet`` is Google's side of the Wallet app; without it the phone has no
        Google Wallet (:attr:`wallet` is None)."""
        self.api_level = api_level
        self._pending_channels: Mapping[str, Importance | str] | None = None
        self._fcm = push_service
        super().__init__(phone_id, push_service=push_service, **kwargs)
        self.wallet: GoogleWallet | None = None
        if google_wallet is not None:
            self.wallet = GoogleWallet(
                phone_id,
                google_wallet,
                clock_now=self._clock.now,
                emit=self._emit,
                show=self._show,
                new_entry_id=lambda: self.tray.new_entry_id(),
            )
            self.wallet.connect()

    def push_arrived(
        self, token: str, push_id: str, headers: Mapping[str, str], payload: Mapping[str, Any]
    ) -> None:
        """A message from FCM. One for an app that is not installed (any more) is dropped and
        reported: that is how FCM learns of an uninstall (Google's "How uninstalled client app
        unregistration works"; devices.md §2.6)."""
        if self._app_holding(token) is not None:
            super().push_arrived(token, push_id, headers, payload)
            return
        self._emit(
            ev.PushDropped,
            token=token,
            push_id=push_id,
            reason="no app holds the token: the phone tells FCM the app is gone",
        )
        self._fcm.report_app_removed(token)

    # -- Google Wallet ------------------------------------------------------------------------

    def save_pass(self, link: str) -> list[GooglePass]:
        """Open a "Save to Google Wallet" link and save its passes (DeviceError if refused)."""
        return self._google_wallet().save(link)

    def remove_pass(self, pass_id: str) -> None:
        """Delete a pass from Google Wallet."""
        self._google_wallet().remove(pass_id)

    def set_pass_notifications(self, pass_id: str | None, enabled: bool) -> None:
        """The notification switch of one pass, or of every pass when ``pass_id`` is None."""
        self._google_wallet().set_notifications_enabled(enabled, pass_id)

    def passes(self) -> list[GooglePass]:
        """The passes saved in Google Wallet."""
        return [] if self.wallet is None else self.wallet.passes

    def go_offline(self) -> None:
        if self.online and self.wallet is not None:
            self.wallet.disconnect()
        super().go_offline()

    def go_online(self) -> None:
        was_online = self.online
        super().go_online()
        if not was_online and self.wallet is not None:
            self.wallet.connect()

    def _google_wallet(self) -> GoogleWallet:
        if self.wallet is None:
            raise DeviceError(f"{self.phone_id} has no Google Wallet")
        return self.wallet

    # -- what the user and the app do ---------------------------------------------------------

    def install(
        self,
        app_id: str,
        user_id: str,
        answer: Answer | str = Answer.ALLOW,
        *,
        ask: bool = True,
        channels: Mapping[str, Importance | str] | None = None,
    ) -> InstalledApp:
        """Install and launch. At first launch the app creates ``channels`` (id → importance;
        default: one ``"default"`` channel of default importance, the first is the manifest's
        default), then asks for ``POST_NOTIFICATIONS`` (API 33+) unless ``ask`` is false."""
        self._pending_channels = channels
        try:
            return super().install(app_id, user_id, answer, ask=ask)
        finally:
            self._pending_channels = None

    def request_permission(self, app_id: str, answer: Answer | str) -> None:
        """``requestPermissions(POST_NOTIFICATIONS)``: no prompt below API 33 or after two
        denials; dismissing the dialog changes nothing (devices.md §2.1)."""
        app = self._android(self.app(app_id))
        answer = _answer(answer)
        outcome = app.runtime_permission.request(answer.value, api_level=self.api_level)
        if outcome.shown:
            self._emit(
                ev.PermissionAnswered,
                app_id=app_id,
                answer=answer.value,
                permission=app.permission.value,
            )
        else:
            self._emit(
                ev.PermissionPromptSkipped,
                app_id=app_id,
                reason=outcome.reason or "",
                permission=app.permission.value,
            )

    def should_show_rationale(self, app_id: str) -> bool:
        """``shouldShowRequestPermissionRationale``: true after one denial."""
        return self._android(self.app(app_id)).runtime_permission.should_show_rationale

    def set_notifications_enabled(self, app_id: str, enabled: bool) -> None:
        app = self._android(self.app(app_id))
        app.runtime_permission.set_enabled(enabled, api_level=self.api_level)
        self._emit(
            ev.NotificationSettingChanged,
            app_id=app_id,
            enabled=enabled,
            permission=app.permission.value,
        )

    def create_channel(
        self,
        app_id: str,
        channel_id: str,
        importance: Importance | str = Importance.DEFAULT,
        name: str | None = None,
    ) -> Channel:
        """The app creates a channel; for an existing one only the name can change (§2.2)."""
        app = self._android(self.app(app_id))
        if app.channels is None:
            app.channels = Channels()
        level = Importance.parse(importance)
        if app.channels.create(channel_id, level, name):
            if app.default_channel is None:
                app.default_channel = channel_id
            self._channel_event(app, app.channels[channel_id], "app")
        return app.channels[channel_id]

    def set_channel_importance(
        self, app_id: str, channel_id: str, importance: Importance | str
    ) -> None:
        """The user changes a channel's importance in Settings (only the user can, §2.2)."""
        app = self._android(self.app(app_id))
        channel = self._channel(app, channel_id)
        channel.importance = Importance.parse(importance)
        self._channel_event(app, channel, "user")

    def block_channel(self, app_id: str, channel_id: str, blocked: bool = True) -> None:
        """The user turns one channel off (or on again) in Settings."""
        app = self._android(self.app(app_id))
        channel = self._channel(app, channel_id)
        channel.blocked = blocked
        self._channel_event(app, channel, "user")

    def channels(self, app_id: str) -> list[Channel]:
        channels = self._android(self.app(app_id)).channels
        return [] if channels is None else list(channels)

    def force_stop(self, app_id: str) -> None:
        """Settings > Force stop: FCM delivers nothing until the user launches the app (§2.4).
        Swiping it from recents is not this: use :meth:`kill`."""
        self._set_state(self.app(app_id), AppState.FORCE_STOPPED)

    def clear_data(self, app_id: str) -> None:
        """Settings > Storage > Clear data: the app stops and gets a new token (a setting, §2.6);
        it reports the token at its next launch."""
        app = self.app(app_id)
        self._emit(ev.AppDataCleared, app_id=app_id)
        self._set_state(app, AppState.NOT_RUNNING)
        if self.token_rules.on_clear_data:
            self._rotate(app, "clear data")

    # -- platform hooks -----------------------------------------------------------------------

    def _new_app(self, app_id: str, user_id: str, remembered: Any) -> InstalledApp:
        # A reinstall is a new install: off by default again on 33+ (devices.md §2.1).
        return AndroidApp(app_id, user_id, AndroidPermission(self.api_level))

    def _after_install(self, app: InstalledApp) -> None:
        if self.api_level < CHANNELS_API_LEVEL:
            return
        wanted = self._pending_channels or {DEFAULT_CHANNEL_ID: Importance.DEFAULT}
        for channel_id, importance in wanted.items():
            self.create_channel(app.app_id, channel_id, importance)

    def _os_updated(self, version: str | int | None) -> None:
        if version is None:
            return
        try:
            level = int(version)
        except ValueError:
            raise DeviceError(f"an Android update takes an API level, not {version!r}") from None
        if level < self.api_level:
            raise DeviceError(f"API level {level} is older than {self.api_level}")
        before, self.api_level = self.api_level, level
        if before < 33 <= level:
            for app in self._apps.values():
                android = self._android(app)
                android.runtime_permission.upgrade_to_33(bool(android.channels))

    def _after_restart(self, app: InstalledApp) -> None:
        # A force-stopped app stays stopped across a reboot until the user opens it [U].
        if app.state is not AppState.FORCE_STOPPED:
            super()._after_restart(app)

    def _dismiss_reported(self, app: InstalledApp, entry: TrayEntry) -> bool:
        # Only notifications the app posted itself can carry a delete intent.
        return entry.posted_by == "app" and self._android(app).delete_intent

    def _handle_push(
        self,
        app: InstalledApp,
        token: str,
        push_id: str,
        headers: Mapping[str, str],
        payload: Mapping[str, Any],
    ) -> None:
        android = self._android(app)
        if payload.get("message_type") == "deleted_messages":
            # FCM dropped this app's pending messages while the phone was away: the app's
            # onDeletedMessages runs instead (reference/fcm.md §0.13, devices.md §2.7).
            self._emit(ev.PendingMessagesDeleted, app_id=app.app_id, token=token)
            return
        push = read_fcm(headers, payload)
        common = {
            "app_id": app.app_id,
            "token": token,
            "push_id": push_id,
            "notification_id": push.notification_id,
        }
        if app.state is AppState.FORCE_STOPPED:
            # "FCM does not process messages if an app is … force stopped" (§2.4).
            self._emit(
                ev.PushDropped,
                reason="app is force-stopped: nothing is delivered until the user launches it",
                **common,
            )
            return
        if not push.alert:
            app.data_pushes.append(dict(push.data))
            self._emit(
                ev.DataPushReceived, data=dict(push.data), callback=ON_MESSAGE_RECEIVED, **common
            )
            self._report_received(app, token, push.notification_id)
            return
        if app.state is AppState.FOREGROUND:
            # Foreground: onMessageReceived gets it; nothing shows unless the app posts it.
            self._emit(
                ev.NotificationHandedToApp,
                callback=ON_MESSAGE_RECEIVED,
                title=push.title,
                body=push.body,
                data=dict(push.data),
                **common,
            )
            self._report_received(app, token, push.notification_id)
            if not app.foreground_presentation:
                self._emit(
                    ev.NotificationSuppressed,
                    reason="app in the foreground did not post it",
                    **common,
                )
                return
            self._post(android, push, token, push_id, by="app")
        else:
            self._post(android, push, token, push_id, by="system")

    # -- posting ------------------------------------------------------------------------------

    def _post(
        self, app: AndroidApp, push: IncomingPush, token: str, push_id: str, *, by: str
    ) -> None:
        common = {
            "app_id": app.app_id,
            "token": token,
            "push_id": push_id,
            "notification_id": push.notification_id,
        }
        reason = app.runtime_permission.blocked_reason()
        channel: Channel | None = None
        if reason is None and self.api_level >= CHANNELS_API_LEVEL:
            channel = self._resolve_channel(app, push.channel_id, by)
            if channel is None:
                reason = f"channel {push.channel_id or app.default_channel!r} missing"
            else:
                reason = channel.blocked_reason()
        if reason is not None:
            # Dropped silently on the phone; the timeline still says why (§2.1, §2.2).
            self._emit(ev.NotificationSuppressed, reason=reason, **common)
            return
        self._show_push(
            app,
            token,
            push_id,
            push,
            channel_id=None if channel is None else channel.channel_id,
            # Below API 26 there are no channels: the notification's own priority rules.
            banner=True if channel is None else channel.heads_up,
            sound=push.sound if channel is None else channel.sound,
            posted_by=by,
        )

    def _resolve_channel(self, app: AndroidApp, wanted: str | None, by: str) -> Channel | None:
        """The channel a post lands in, or None when the post is dropped for lack of one."""
        channels = app.channels
        if by == "app":
            # The app's own notify() with an unknown channel is silently dropped (§2.2).
            return None if channels is None else channels.get(wanted or app.default_channel)
        # The FCM SDK falls back from the message's channel to the manifest default, then to a
        # channel of its own (devices.md §2.2 [S]).
        for candidate in (wanted, app.default_channel):
            channel = None if channels is None else channels.get(candidate)
            if channel is not None:
                return channel
        if channels is None or FCM_FALLBACK_CHANNEL not in channels:
            self.create_channel(app.app_id, FCM_FALLBACK_CHANNEL, Importance.DEFAULT, "Misc")
        return self._channel(app, FCM_FALLBACK_CHANNEL)

    # -- helpers ------------------------------------------------------------------------------

    def _channel(self, app: AndroidApp, channel_id: str) -> Channel:
        if app.channels is None:
            raise NotFound(f"{app.app_id} has no notification channel {channel_id!r}")
        channel: Channel = app.channels[channel_id]
        return channel

    def _channel_event(self, app: AndroidApp, channel: Channel, by: str) -> None:
        self._emit(
            ev.ChannelChanged,
            app_id=app.app_id,
            channel_id=channel.channel_id,
            importance=channel.importance.label,
            blocked=channel.blocked,
            by=by,
        )

    @staticmethod
    def _android(app: InstalledApp) -> AndroidApp:
        if not isinstance(app, AndroidApp):  # pragma: no cover - an AndroidPhone makes these
            raise DeviceError(f"{app.app_id} is not an Android app")
        return app
