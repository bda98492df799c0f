"""What iPhones and Android phones share: apps, lifecycle, tokens, network, the tray, user actions.

The phone is sans-IO: it reacts to calls (a user action, a push handed over by its provider) by
changing state, emitting timeline events and handing messages for the app server to its
``app_server`` link. It never awaits and reads time only from the injected clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from devices import events as ev
from devices.app_server import AppServerLink, EngagementReport, TokenReport, drop_message
from devices.apps import Answer, AppState, InstalledApp
from devices.errors import DeviceError, NotFound
from devices.push_service import PushService
from devices.tray import Tray, TrayEntry


class Clock(Protocol):
    def now(self) -> float: ...


@dataclass(frozen=True, kw_only=True, slots=True)
class TokenRules:
    """When the OS gives an app a new token (devices.md §1.4, §2.6). How long the old token keeps
    working afterwards is the provider's setting (``PushService.rotate``)."""

    on_restore: bool = True
    on_reinstall: bool = True
    on_clear_data: bool = True
    on_os_update: bool = True


#: iOS: restore, reinstall (usually, iOS 9+ [S]) and OS update change the token (§1.4).
IOS_TOKEN_RULES = TokenRules(on_clear_data=False)
#: Android: restore, reinstall and clear data trigger onNewToken; an OS update does not (§2.6).
ANDROID_TOKEN_RULES = TokenRules(on_os_update=False)


class Phone:
    """What iPhones and Android phones share. Use :class:`IosPhone` or :class:`AndroidPhone`."""

    __slots__ = (
        "_app_server",
        "_apps",
        "_clock",
        "_emit_event",
        "_previous",
        "_push_service",
        "_tray",
        "online",
        "phone_id",
        "token_rules",
    )
    platform: ClassVar[str] = ""
    default_token_rules: ClassVar[TokenRules] = TokenRules()

    def __init__(
        self,
        phone_id: str,
        *,
        push_service: PushService,
        clock: Clock,
        emit: ev.Emit = ev.discard_event,
        app_server: AppServerLink = drop_message,
        token_rules: TokenRules | None = None,
    ) -> None:
        self.phone_id = phone_id
        self.online = True
        self.token_rules = token_rules or self.default_token_rules
        self._push_service = push_service
        self._clock = clock
        self._emit_event = emit
        self._app_server = app_server
        self._apps: dict[str, InstalledApp] = {}
        self._tray: Tray | None = None  # created at the first notification
        self._previous: dict[str, tuple[str | None, Any]] | None = None  # uninstalled apps
        push_service.connect(phone_id, self)

    # -- installing and launching -------------------------------------------------------------

    def install(
        self, app_id: str, user_id: str, answer: Answer | str = Answer.ALLOW, *, ask: bool = True
    ) -> InstalledApp:
        """Install and launch ``app_id`` signed in as ``user_id``.

        At first launch the app asks for notification permission (unless ``ask`` is false) and
        the user gives ``answer``; then it gets its token from the OS and posts it to its server.
        """
        if app_id in self._apps:
            raise DeviceError(f"{app_id} is already installed on {self.phone_id}")
        answer = _answer(answer)
        previous_token, remembered = (self._previous or {}).pop(app_id, (None, None))
        app = self._new_app(app_id, user_id, remembered)
        self._apps[app_id] = app
        self._emit(ev.AppInstalled, app_id=app_id, user_id=user_id)
        self._set_state(app, AppState.FOREGROUND)
        self._after_install(app)
        if ask:
            self.request_permission(app_id, answer)
        self._register(app, reinstalled_from=previous_token)
        return app

    def request_permission(self, app_id: str, answer: Answer | str) -> None:
        """The app asks for notification permission; the user answers ``answer`` if prompted."""
        raise NotImplementedError

    def answer_prompt(self, app_id: str, answer: Answer | str) -> None:
        """Round-1 name of :meth:`request_permission`."""
        self.request_permission(app_id, answer)

    def launch(self, app_id: str) -> str:
        """The user opens the app: it comes to the foreground, registers for remote
        notifications and reports its token (apps register at every launch: §1.4, §2.6)."""
        app = self.app(app_id)
        self._set_state(app, AppState.FOREGROUND)
        self._after_launch(app)
        return self._register(app)

    def background(self, app_id: str) -> None:
        """The user goes to the home screen or another app: this one moves to the background."""
        app = self.app(app_id)
        if app.state is AppState.FOREGROUND:
            self._set_state(app, AppState.BACKGROUND)

    def kill(self, app_id: str) -> None:
        """The OS terminates the app (memory pressure); it still gets pushes (not force-stopped)."""
        app = self.app(app_id)
        if app.state in (AppState.FOREGROUND, AppState.BACKGROUND):
            self._set_state(app, AppState.NOT_RUNNING)
            self._discard_held(app, "app was killed")

    def force_stop(self, app_id: str) -> None:
        """iOS: force-quit from the app switcher; Android: Settings > Force stop."""
        raise NotImplementedError

    def uninstall(self, app_id: str) -> None:
        """Delete the app: its tray entries go and the provider is told (its rules decide when
        the token stops working: devices.md §1.5, §2.6)."""
        app = self._apps.pop(app_id, None)
        if app is None:
            raise NotFound(f"{app_id} is not installed on {self.phone_id}")
        if self._tray is not None:
            self._tray.clear_app(app_id)
        for token in app.all_tokens():
            self._push_service.unregister(token)
        if self._previous is None:
            self._previous = {}
        self._previous[app_id] = (app.token, self._remembered_permission(app))
        self._emit(ev.AppUninstalled, app_id=app_id, token=app.token)

    def set_notifications_enabled(self, app_id: str, enabled: bool) -> None:
        """Flip the app's "Allow Notifications" switch in Settings.

        The token stays valid and the provider still answers 200; the phone just shows nothing
        (reference/devices.md §1.3).
        """
        raise NotImplementedError

    # -- the device as a whole ----------------------------------------------------------------

    def go_offline(self) -> None:
        """Lose the network: the provider stores pushes under its rules."""
        if self.online:
            self.online = False
            self._push_service.disconnect(self.phone_id)
            self._emit(ev.PhoneWentOffline)

    def go_online(self) -> None:
        """Reconnect: the provider hands over what it stored (APNs one per app; FCM up to 100
        and 4 collapse keys, or the deleted-messages signal: devices.md §1.6, §2.7)."""
        if not self.online:
            self.online = True
            self._emit(ev.PhoneCameOnline)
            self._push_service.connect(self.phone_id, self)
            self._after_online()

    def restore_to_new_device(self) -> None:
        """The apps are restored from a backup onto a new phone: tokens rotate (a setting), the
        tray starts empty and no app is running."""
        self._emit(ev.PhoneRestored)
        if self._tray is not None:
            self._tray.clear()
        for app in list(self._apps.values()):
            self._set_state(app, AppState.NOT_RUNNING)
            if self.token_rules.on_restore:
                self._rotate(app, "restore")

    def update_os(self, version: str | int | None = None) -> None:
        """Install an OS update and restart: apps stop running, tokens rotate (a setting)."""
        self._emit(ev.OsUpdated, version=str(version if version is not None else "next"))
        self._os_updated(version)
        for app in list(self._apps.values()):
            self._after_restart(app)
            if self.token_rules.on_os_update:
                self._rotate(app, "os update")

    def wipe(self) -> None:
        """Erase all content and settings: every app, its tokens and its permission are gone."""
        for app_id in list(self._apps):
            self.uninstall(app_id)
        self._previous = None
        self._emit(ev.PhoneWiped)

    # -- the tray and what the user does with it ----------------------------------------------

    @property
    def tray(self) -> Tray:
        if self._tray is None:
            self._tray = Tray()
        return self._tray

    def notifications(self, app_id: str | None = None) -> list[TrayEntry]:
        return [] if self._tray is None else self._tray.entries(app_id)

    def tap(self, entry_id: str, action: str | None = None) -> TrayEntry:
        """Tap a notification: the app opens with its payload and reports the open.

        With ``action`` (a custom action button) the app handles it without opening, and the
        tap is only on the timeline.
        """
        entry = self.tray.take(entry_id)
        self._emit(
            ev.NotificationTapped,
            app_id=entry.app_id,
            push_id=entry.push_id,
            notification_id=entry.notification_id,
            entry_id=entry_id,
            action=action or "default",
            data=dict(entry.data),
        )
        app = self._apps.get(entry.app_id)
        if app is not None and action is None:
            if app.state in (AppState.FOREGROUND, AppState.BACKGROUND):
                self._set_state(app, AppState.FOREGROUND)
            else:
                self.launch(app.app_id)  # a cold start registers, as every launch does
            self._report(entry, "opened", app)
        return entry

    def dismiss(self, entry_id: str) -> TrayEntry:
        """Swipe a notification away. The app hears of it only where the platform tells it
        (iOS: a category with ``customDismissAction``; Android: a delete intent; §1.9)."""
        entry = self.tray.take(entry_id)
        app = self._apps.get(entry.app_id)
        reported = app is not None and self._dismiss_reported(app, entry)
        self._emit(
            ev.NotificationDismissed,
            app_id=entry.app_id,
            push_id=entry.push_id,
            notification_id=entry.notification_id,
            entry_id=entry_id,
            reported=reported,
        )
        if reported and app is not None:
            self._report(entry, "dismissed", app)
        return entry

    # -- what the phone holds -----------------------------------------------------------------

    def app(self, app_id: str) -> InstalledApp:
        try:
            return self._apps[app_id]
        except KeyError:
            raise NotFound(f"{app_id} is not installed on {self.phone_id}") from None

    @property
    def apps(self) -> list[InstalledApp]:
        return list(self._apps.values())

    # -- what the provider hands over (the PushInbox protocol) --------------------------------

    def push_arrived(
        self, token: str, push_id: str, headers: Mapping[str, str], payload: Mapping[str, Any]
    ) -> None:
        """A push from the provider for the app holding ``token``; every outcome is an event."""
        app = self._app_holding(token)
        if app is None:
            self._emit(
                ev.PushDropped, token=token, push_id=push_id, reason="no app holds the token"
            )
            return
        self._handle_push(app, token, push_id, headers, payload)

    # -- platform hooks -----------------------------------------------------------------------

    def _new_app(self, app_id: str, user_id: str, remembered: Any) -> InstalledApp:
        raise NotImplementedError

    def _remembered_permission(self, app: InstalledApp) -> Any:
        """What survives an uninstall for the next install (iOS keeps the permission [S])."""
        return None

    def _after_install(self, app: InstalledApp) -> None:
        """First launch, before the permission request (Android creates its channels)."""

    def _after_launch(self, app: InstalledApp) -> None:
        """The user launched the app (iOS delivers a held background push)."""

    def _after_restart(self, app: InstalledApp) -> None:
        self._set_state(app, AppState.NOT_RUNNING)
        self._discard_held(app, "the phone restarted")

    def _os_updated(self, version: str | int | None) -> None:
        """Platform consequences of an OS update (Android's API level)."""

    def _after_online(self) -> None:
        """The phone is back online and has its stored pushes (iOS Wallet sends what waited)."""

    def _discard_held(self, app: InstalledApp, why: str) -> None:
        """iOS drops a held background push when the app is killed (§1.8)."""

    def _dismiss_reported(self, app: InstalledApp, entry: TrayEntry) -> bool:
        return False

    def _handle_push(
        self,
        app: InstalledApp,
        token: str,
        push_id: str,
        headers: Mapping[str, str],
        payload: Mapping[str, Any],
    ) -> None:
        raise NotImplementedError

    # -- helpers for the platforms ------------------------------------------------------------

    def _emit(self, event_type: type[ev.DeviceEvent], **fields: Any) -> None:
        self._emit_event(event_type(at=self._clock.now(), phone_id=self.phone_id, **fields))

    def _set_state(self, app: InstalledApp, state: AppState) -> None:
        if state is AppState.FOREGROUND:
            # One app at a time in the foreground: the others go to the background.
            for other in self._apps.values():
                if other is not app and other.state is AppState.FOREGROUND:
                    self._set_state(other, AppState.BACKGROUND)
        if app.state is not state:
            previous, app.state = app.state, state
            self._emit(
                ev.AppStateChanged, app_id=app.app_id, state=state.value, previous=previous.value
            )

    def _issue_token(self, app: InstalledApp) -> str:
        """The app's notification token from the provider (iOS adds the build's environment)."""
        return self._push_service.register(self.phone_id, app.app_id)

    def _register(self, app: InstalledApp, reinstalled_from: str | None = None) -> str:
        token = self._issue_token(app)
        if reinstalled_from is not None and self.token_rules.on_reinstall:
            if token == reinstalled_from:
                # The provider still knows the old token: the OS asks for a fresh one.
                token = self._push_service.rotate(token)
            if token != reinstalled_from:
                self._emit(
                    ev.TokenRotated,
                    app_id=app.app_id,
                    old_token=reinstalled_from,
                    token=token,
                    reason="reinstall",
                )
        app.token = token
        self._emit(ev.TokenReceived, app_id=app.app_id, token=token)
        self._app_server(
            TokenReport(
                phone_id=self.phone_id,
                app_id=app.app_id,
                user_id=app.user_id,
                platform=self.platform,
                token=token,
            )
        )
        return token

    def _rotate(self, app: InstalledApp, reason: str) -> None:
        old = app.token
        if old is None:
            return
        new = self._push_service.rotate(old)
        app.old_tokens = (*app.old_tokens, old)
        app.token = new
        self._emit(ev.TokenRotated, app_id=app.app_id, old_token=old, token=new, reason=reason)

    def _app_holding(self, token: str) -> InstalledApp | None:
        for app in self._apps.values():
            if app.holds(token):
                return app
        return None

    def _report(self, entry: TrayEntry, event: str, app: InstalledApp) -> None:
        if entry.notification_id is not None:
            self._app_server(
                EngagementReport(
                    phone_id=self.phone_id,
                    app_id=entry.app_id,
                    token=entry.token,
                    notification_id=entry.notification_id,
                    event=event,
                    user_id=app.user_id,
                    platform=self.platform,
                )
            )

    def _report_received(self, app: InstalledApp, token: str, notification_id: str | None) -> None:
        if app.reports_received and notification_id is not None:
            self._app_server(
                EngagementReport(
                    phone_id=self.phone_id,
                    app_id=app.app_id,
                    token=token,
                    notification_id=notification_id,
                    event="received",
                    user_id=app.user_id,
                    platform=self.platform,
                )
            )

    def _show_push(
        self, app: InstalledApp, token: str, push_id: str, push: Any, **platform: Any
    ) -> None:
        """Show ``push`` (a parsed APNs or FCM push) as a new tray entry; ``platform`` holds the
        fields only one platform sets (thread, channel, interruption level, banner, sound…)."""
        self._show(
            TrayEntry(
                entry_id=self.tray.new_entry_id(),
                app_id=app.app_id,
                token=token,
                push_id=push_id,
                notification_id=push.notification_id,
                title=push.title,
                body=push.body,
                shown_at=self._clock.now(),
                data=dict(push.data),
                collapse_id=push.collapse_id,
                category=push.category,
                **platform,
            )
        )

    def _show(self, entry: TrayEntry) -> None:
        """Put ``entry`` on the tray and tell the timeline (with the entry it replaced)."""
        replaced = self.tray.show(entry)
        self._emit(
            ev.NotificationDisplayed,
            app_id=entry.app_id,
            token=entry.token,
            push_id=entry.push_id,
            notification_id=entry.notification_id,
            entry_id=entry.entry_id,
            title=entry.title,
            body=entry.body,
            banner=entry.banner,
            sound=entry.sound,
            replaced_entry_id=None if replaced is None else replaced.entry_id,
            thread_id=entry.thread_id,
            channel_id=entry.channel_id,
            posted_by=entry.posted_by,
        )


def _answer(answer: Answer | str) -> Answer:
    try:
        return Answer(answer)
    except ValueError:
        choices = ", ".join(a.value for a in Answer)
        raise DeviceError(f"unknown prompt answer {answer!r}: use one of {choices}") from None
