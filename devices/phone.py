"""A simulated phone: apps, permission prompts, tokens, the tray, and what the user does.

The phone is sans-IO: it reacts to calls (a user action, a push handed over by its provider) by
changing state, emitting timeline events and handing messages for the app server to its
``app_server`` link. It never awaits and reads time only from the injected clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from devices import events as ev
from devices.app_server import AppServerLink, EngagementReport, TokenReport, drop_message
from devices.apps import Answer, InstalledApp, Permission
from devices.errors import DeviceError
from devices.push_service import PushService
from devices.tray import Tray, TrayEntry


class Clock(Protocol):
    def now(self) -> float: ...


class Phone:
    """What iPhones and Android phones share. Use :class:`IosPhone` or :class:`AndroidPhone`."""

    platform: str = ""

    def __init__(
        self,
        phone_id: str,
        *,
        push_service: PushService,
        clock: Clock,
        emit: ev.Emit = ev.discard_event,
        app_server: AppServerLink = drop_message,
    ) -> None:
        self.phone_id = phone_id
        self.tray = Tray()
        self._push_service = push_service
        self._clock = clock
        self._emit_event = emit
        self._app_server = app_server
        self._apps: dict[str, InstalledApp] = {}
        self.online = True
        push_service.connect(phone_id, self)

    # -- what the user does -------------------------------------------------------------------

    def install(
        self, app_id: str, user_id: str, answer: Answer | str = Answer.ALLOW
    ) -> InstalledApp:
        """Install and launch ``app_id`` signed in as ``user_id``; answer its permission prompt.

        The app asks for notification permission at first launch, gets its token from the OS and
        posts it to its app server.
        """
        if app_id in self._apps:
            raise DeviceError(f"{app_id} is already installed on {self.phone_id}")
        answer = _answer(answer)
        app = InstalledApp(app_id=app_id, user_id=user_id, permission=self._initial_permission())
        self._apps[app_id] = app
        self._emit(ev.AppInstalled, app_id=app_id, user_id=user_id)
        self.answer_prompt(app_id, _answer(answer))
        self.launch(app_id)
        return app

    def answer_prompt(self, app_id: str, answer: Answer) -> None:
        """The permission prompt is shown (only while undetermined) and the user answers it."""
        app = self.app(app_id)
        if app.permission is not Permission.NOT_DETERMINED:
            return  # the system prompts once; later requests return the recorded answer (§1.2)
        if answer is Answer.ALLOW:
            app.permission = Permission.AUTHORIZED
        elif answer is Answer.DENY:
            app.permission = Permission.DENIED
        self._emit(
            ev.PermissionAnswered,
            app_id=app_id,
            answer=answer.value,
            permission=app.permission.value,
        )

    def launch(self, app_id: str) -> str:
        """Open the app: it registers for remote notifications and reports its token.

        Apps register at every launch because tokens change (reference/devices.md §1.4, §2.6).
        """
        app = self.app(app_id)
        app.token = self._push_service.register(self.phone_id, app_id)
        self._emit(ev.TokenReceived, app_id=app_id, token=app.token)
        self._app_server(
            TokenReport(
                phone_id=self.phone_id,
                app_id=app_id,
                user_id=app.user_id,
                platform=self.platform,
                token=app.token,
            )
        )
        return app.token

    def uninstall(self, app_id: str) -> None:
        app = self._apps.pop(app_id, None)
        if app is None:
            raise DeviceError(f"{app_id} is not installed on {self.phone_id}")
        self.tray.clear_app(app_id)
        if app.token is not None:
            self._push_service.unregister(app.token)
        self._emit(ev.AppUninstalled, app_id=app_id, token=app.token)

    def set_notifications_enabled(self, app_id: str, enabled: bool) -> None:
        """Flip the app's "Allow Notifications" switch in Settings.

        The token stays valid and the provider still answers 200; the phone just shows nothing
        (reference/devices.md §1.3).
        """
        self.app(app_id).enabled_in_settings = enabled
        self._emit(ev.NotificationSettingChanged, app_id=app_id, enabled=enabled)

    def go_offline(self) -> None:
        if self.online:
            self.online = False
            self._push_service.disconnect(self.phone_id)
            self._emit(ev.PhoneWentOffline)

    def go_online(self) -> None:
        if not self.online:
            self.online = True
            self._emit(ev.PhoneCameOnline)
            self._push_service.connect(self.phone_id, self)

    def tap(self, entry_id: str) -> TrayEntry:
        """Tap a notification: the app opens with its payload and reports the open."""
        entry = self.tray.take(entry_id)
        self._emit(
            ev.NotificationTapped,
            app_id=entry.app_id,
            push_id=entry.push_id,
            notification_id=entry.notification_id,
            entry_id=entry_id,
        )
        self._report(entry, "opened")
        return entry

    def dismiss(self, entry_id: str) -> TrayEntry:
        """Swipe a notification away.

        Neither platform tells the app by default (iOS only with a category that opted into
        ``customDismissAction``, reference/devices.md §1.9), so nothing is reported.
        """
        entry = self.tray.take(entry_id)
        self._emit(
            ev.NotificationDismissed,
            app_id=entry.app_id,
            push_id=entry.push_id,
            notification_id=entry.notification_id,
            entry_id=entry_id,
        )
        return entry

    # -- what the phone shows ---------------------------------------------------------------

    def app(self, app_id: str) -> InstalledApp:
        try:
            return self._apps[app_id]
        except KeyError:
            raise DeviceError(f"{app_id} is not installed on {self.phone_id}") from None

    @property
    def apps(self) -> list[InstalledApp]:
        return list(self._apps.values())

    def notifications(self, app_id: str | None = None) -> list[TrayEntry]:
        return self.tray.entries(app_id)

    # -- what the provider hands over (the PushInbox protocol) ------------------------------

    def push_arrived(
        self, token: str, push_id: str, headers: Mapping[str, str], payload: Mapping[str, Any]
    ) -> None:
        app = next((a for a in self._apps.values() if a.token == token), None)
        if app is None:
            self._emit(
                ev.PushDropped, token=token, push_id=push_id, reason="no app holds the token"
            )
            return
        alert, data = self._read_push(headers, payload)
        notification_id = _text(data.get("notification_id"))
        common: dict[str, Any] = {
            "app_id": app.app_id,
            "token": token,
            "push_id": push_id,
            "notification_id": notification_id,
        }
        if alert is None:
            app.data_pushes.append(dict(data))
            self._emit(ev.DataPushReceived, data=dict(data), **common)
            return
        reason = app.suppression_reason()
        if reason is not None:
            self._emit(ev.NotificationSuppressed, reason=reason, **common)
            return
        entry = TrayEntry(
            entry_id=self.tray.new_entry_id(),
            app_id=app.app_id,
            token=token,
            push_id=push_id,
            notification_id=notification_id,
            title=alert.get("title"),
            body=alert.get("body"),
            shown_at=self._clock.now(),
            data=dict(data),
        )
        self.tray.show(entry)
        self._emit(
            ev.NotificationDisplayed,
            entry_id=entry.entry_id,
            title=entry.title,
            body=entry.body,
            **common,
        )

    # -- platform rules -----------------------------------------------------------------------

    def _initial_permission(self) -> Permission:
        return Permission.NOT_DETERMINED

    def _read_push(
        self, headers: Mapping[str, str], payload: Mapping[str, Any]
    ) -> tuple[dict[str, str | None] | None, Mapping[str, Any]]:
        """Split a push into its visible alert (``None`` for a data push) and its app data."""
        raise NotImplementedError

    # -- helpers ------------------------------------------------------------------------------

    def _emit(self, event_type: type[ev.DeviceEvent], **fields: Any) -> None:
        self._emit_event(event_type(at=self._clock.now(), phone_id=self.phone_id, **fields))

    def _report(self, entry: TrayEntry, event: str) -> None:
        if entry.notification_id is not None:
            self._app_server(
                EngagementReport(
                    phone_id=self.phone_id,
                    app_id=entry.app_id,
                    token=entry.token,
                    notification_id=entry.notification_id,
                    event=event,
                )
            )


class IosPhone(Phone):
    """An iPhone: pushes come from APNs as ``aps`` payloads (reference/apns.md §1.6)."""

    platform = "ios"

    def _read_push(
        self, headers: Mapping[str, str], payload: Mapping[str, Any]
    ) -> tuple[dict[str, str | None] | None, Mapping[str, Any]]:
        aps = payload.get("aps")
        aps = aps if isinstance(aps, Mapping) else {}
        # Custom keys live beside aps, never inside it (reference/apns.md §1.5).
        data = {key: value for key, value in payload.items() if key != "aps"}
        alert = aps.get("alert")
        if isinstance(alert, str):
            return {"title": None, "body": alert}, data
        if isinstance(alert, Mapping):
            return {"title": _text(alert.get("title")), "body": _text(alert.get("body"))}, data
        return None, data


class AndroidPhone(Phone):
    """An Android phone: pushes come from FCM (reference/fcm.md §1.2, devices.md §2.3).

    Apps are in the background, so a message with a ``notification`` goes to the tray (the FCM SDK
    posts it) and its data waits for the tap; a data-only message goes to the app's code.
    """

    platform = "android"

    def __init__(self, phone_id: str, *, api_level: int = 34, **kwargs: Any) -> None:
        self.api_level = api_level
        super().__init__(phone_id, **kwargs)

    def push_arrived(
        self, token: str, push_id: str, headers: Mapping[str, str], payload: Mapping[str, Any]
    ) -> None:
        # FCM dropped this app's pending messages while the phone was away: the app's
        # onDeletedMessages runs instead (reference/fcm.md §0.13, devices.md §2.7).
        if payload.get("message_type") == "deleted_messages":
            app = next((a for a in self.apps if a.token == token), None)
            if app is not None:
                self._emit(ev.PendingMessagesDeleted, app_id=app.app_id, token=token)
                return
        super().push_arrived(token, push_id, headers, payload)

    def _initial_permission(self) -> Permission:
        # POST_NOTIFICATIONS is a runtime permission from API 33 on; granted below (devices.md §2.1).
        return Permission.NOT_DETERMINED if self.api_level >= 33 else Permission.AUTHORIZED

    def _read_push(
        self, headers: Mapping[str, str], payload: Mapping[str, Any]
    ) -> tuple[dict[str, str | None] | None, Mapping[str, Any]]:
        android = payload.get("android")
        android = android if isinstance(android, Mapping) else {}
        # android.data and android.notification override the message-level blocks (fcm.md §1.2).
        data = android.get("data") or payload.get("data") or {}
        notification = {
            **(payload.get("notification") or {}),
            **(android.get("notification") or {}),
        }
        if not notification:
            return None, data
        return {
            "title": _text(notification.get("title")),
            "body": _text(notification.get("body")),
        }, data


def _answer(answer: Answer | str) -> Answer:
    try:
        return Answer(answer)
    except ValueError:
        choices = ", ".join(a.value for a in Answer)
        raise DeviceError(f"unknown prompt answer {answer!r}: use one of {choices}") from None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
