"""Google Wallet on an Android phone: saved loyalty passes, their updates and notifications.

There is no device registration on Google's side: the user saves a pass from a "Save to Google
Wallet" link, and Google syncs every change of the object to the phone (reference/wallet.md §7,
devices.md §5.2). The phone always holds the latest data; a change that Google notifies (a
``TEXT_AND_NOTIFY`` message, or an allowlisted field updated with ``NOTIFY_ON_UPDATE``) is shown
unless the user turned Wallet notifications off, for that pass or for all passes. Google already
enforced its per-pass quota before a notification reaches here.

The texts shown are Google Wallet's choice, not the issuer's [C G5]; pushsim shows a message's
header and body, and for an update the program name and the new values [U Google's wording].
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from devices import wallet_events as wev
from devices.errors import DeviceError, NotFound
from devices.events import NotificationSuppressed
from devices.tray import TrayEntry

#: Google Wallet's package name: the ``app_id`` of the notifications it shows.
GOOGLE_WALLET_APP = "com.google.android.apps.walletnfcrel"
WALLET = "google"


class PassNotice(Protocol):
    """A notification Google sends with a change: a message, or updated fields."""

    @property
    def notice_id(self) -> str: ...
    @property
    def kind(self) -> str:
        """``"message"`` or ``"update"``."""
        ...

    @property
    def header(self) -> str | None: ...
    @property
    def body(self) -> str | None: ...
    @property
    def fields(self) -> tuple[str, ...]: ...


class SavedPass(Protocol):
    @property
    def object_id(self) -> str: ...
    @property
    def data(self) -> Mapping[str, Any]:
        """``{"object": <LoyaltyObject>, "class": <LoyaltyClass>}``."""
        ...


class SaveOutcome(Protocol):
    @property
    def passes(self) -> Sequence[SavedPass]: ...
    @property
    def error(self) -> str | None: ...


class WalletInbox(Protocol):
    """The phone's Wallet, as Google sees it: somewhere to sync passes."""

    def pass_synced(
        self, object_id: str, data: Mapping[str, Any], notice: PassNotice | None
    ) -> None: ...


class GoogleWalletService(Protocol):
    """Google's side of the Wallet (the fake Wallet API implements it)."""

    def save(self, phone_id: str, link: str) -> SaveOutcome:
        """Save the passes of a "Save to Google Wallet" link on ``phone_id``."""
        ...

    def remove(self, phone_id: str, object_id: str) -> None: ...
    def connect(self, phone_id: str, inbox: WalletInbox) -> None:
        """The phone is online: Google syncs what changed meanwhile, then each change."""
        ...

    def disconnect(self, phone_id: str) -> None: ...


@dataclass(slots=True)
class GooglePass:
    """A saved loyalty pass: the object and its class as last synced, and the user's switch."""

    object_id: str
    loyalty_object: dict[str, Any]
    loyalty_class: dict[str, Any]
    saved_at: float
    updated_at: float
    notifications: bool = True
    """The pass's own notification switch."""

    @property
    def class_id(self) -> str:
        return str(self.loyalty_object.get("classId", ""))

    @property
    def program_name(self) -> str:
        return str(self.loyalty_class.get("programName", ""))

    @property
    def points(self) -> Any:
        """The ``loyaltyPoints.balance`` value (whichever of string/int/double/money is set)."""
        return _balance(self.loyalty_object.get("loyaltyPoints"))

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The class's and the object's messages, as on the back of the pass."""
        return [*self.loyalty_class.get("messages", []), *self.loyalty_object.get("messages", [])]


Emit = Callable[..., None]
"""``emit(event_type, **fields)``: the phone's own emitter (it adds time and phone id)."""


class GoogleWallet:
    """The Google Wallet app of one phone."""

    __slots__ = (
        "_emit", "_new_entry_id", "_now", "_passes", "_service", "_show", "enabled", "phone_id",
    )  # fmt: skip

    def __init__(
        self,
        phone_id: str,
        service: GoogleWalletService,
        *,
        clock_now: Callable[[], float],
        emit: Emit,
        show: Callable[[TrayEntry], None],
        new_entry_id: Callable[[], str],
    ) -> None:
        self.phone_id = phone_id
        self.enabled = True
        """Settings > Notifications > "Updates about your passes" [C G10]."""
        self._service = service
        self._now = clock_now
        self._emit = emit
        self._show = show
        self._new_entry_id = new_entry_id
        self._passes: dict[str, GooglePass] = {}

    # -- what the user does -------------------------------------------------------------------

    def save(self, link: str) -> list[GooglePass]:
        """Open a "Save to Google Wallet" link and tap Save; returns the passes saved.

        A link Google refuses saves nothing: a ``PassRefused`` event, then :class:`DeviceError`.
        """
        outcome = self._service.save(self.phone_id, link)
        if outcome.error is not None:
            self._emit(wev.PassRefused, wallet=WALLET, reason=outcome.error)
            raise DeviceError(f"Google Wallet refused the pass: {outcome.error}")
        saved = []
        for item in outcome.passes:
            now = self._now()
            obj, cls = _parts(item.data)
            known = self._passes.get(item.object_id)
            gpass = GooglePass(item.object_id, obj, cls, now, now)
            if known is not None:
                gpass.notifications = known.notifications
            self._passes[item.object_id] = gpass
            self._emit(
                wev.PassAdded, wallet=WALLET, pass_id=item.object_id, pass_type=gpass.class_id
            )
            saved.append(gpass)
        return saved

    def remove(self, object_id: str) -> None:
        """Remove the pass from the Wallet; Google stops syncing it to this phone."""
        self.get(object_id)
        del self._passes[object_id]
        self._service.remove(self.phone_id, object_id)
        self._emit(wev.PassRemoved, wallet=WALLET, pass_id=object_id)

    def set_notifications_enabled(self, enabled: bool, object_id: str | None = None) -> None:
        """The notification switch of one pass, or of all passes when ``object_id`` is None."""
        if object_id is None:
            self.enabled = enabled
        else:
            self.get(object_id).notifications = enabled
        self._emit(
            wev.PassSettingChanged,
            wallet=WALLET,
            pass_id=object_id,
            setting="notifications",
            enabled=enabled,
        )

    def get(self, object_id: str) -> GooglePass:
        try:
            return self._passes[object_id]
        except KeyError:
            raise NotFound(f"no pass {object_id!r} in Google Wallet") from None

    @property
    def passes(self) -> list[GooglePass]:
        return list(self._passes.values())

    # -- what Google hands over (the WalletInbox protocol) ------------------------------------

    def pass_synced(
        self, object_id: str, data: Mapping[str, Any], notice: PassNotice | None
    ) -> None:
        """A newer version of a saved pass, with the notification Google sends for it, if any."""
        gpass = self._passes.get(object_id)
        if gpass is None:
            return  # removed here while the change was on its way
        before = (gpass.loyalty_object, gpass.loyalty_class)
        gpass.loyalty_object, gpass.loyalty_class = _parts(data)
        gpass.updated_at = self._now()
        changed = _changed_paths(before[0], gpass.loyalty_object)
        notice_id = None if notice is None else notice.notice_id
        self._emit(
            wev.PassUpdated, wallet=WALLET, pass_id=object_id, changed=changed, push_id=notice_id
        )
        if notice is not None:
            self._notify(gpass, notice)

    def connect(self) -> None:
        self._service.connect(self.phone_id, self)

    def disconnect(self) -> None:
        self._service.disconnect(self.phone_id)

    # -- helpers ------------------------------------------------------------------------------

    def _notify(self, gpass: GooglePass, notice: PassNotice) -> None:
        common = {
            "app_id": GOOGLE_WALLET_APP,
            # A Wallet notification is about a pass, not an app token: the pass id stands in.
            "token": gpass.object_id,
            "push_id": notice.notice_id,
            "notification_id": None,
        }
        off = None
        if not self.enabled:
            off = "Google Wallet notifications are off"
        elif not gpass.notifications:
            off = "notifications are off for this pass"
        if off is not None:
            self._emit(NotificationSuppressed, reason=off, **common)
            return
        title, body = _texts(gpass, notice)
        self._show(
            TrayEntry(
                entry_id=self._new_entry_id(),
                title=title,
                body=body,
                shown_at=self._now(),
                data={"pass_id": gpass.object_id},
                **common,  # type: ignore[arg-type]
            )
        )


def _parts(data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    obj, cls = data.get("object"), data.get("class")
    return copy.deepcopy(dict(obj or {})), copy.deepcopy(dict(cls or {}))


def _balance(points: Any) -> Any:
    balance = points.get("balance") if isinstance(points, Mapping) else None
    if not isinstance(balance, Mapping):
        return None
    for kind in ("string", "int", "double", "money"):
        if kind in balance:
            return balance[kind]
    return None


def _texts(gpass: GooglePass, notice: PassNotice) -> tuple[str, str]:
    title = gpass.program_name or str(gpass.loyalty_class.get("issuerName", "Google Wallet"))
    if notice.kind == "message":
        return notice.header or title, notice.body or ""
    parts = [_describe(gpass, path) for path in notice.fields]
    return title, ", ".join(parts) or "Your pass was updated"


def _describe(gpass: GooglePass, path: str) -> str:
    """``"<label>: <value>"`` for a changed field of the object (else of the class): points
    blocks carry a ``label``, other fields a sibling ``<name>Label`` (``rewardsTierLabel``)."""
    name = path.split(".", 1)[0]
    resource = gpass.loyalty_object if name in gpass.loyalty_object else gpass.loyalty_class
    block = resource.get(name)
    if isinstance(block, Mapping):
        return f"{block.get('label') or name}: {_balance(block)}"
    return f"{resource.get(name + 'Label') or name}: {block}"


def _changed_paths(
    before: Mapping[str, Any], after: Mapping[str, Any], at: str = ""
) -> tuple[str, ...]:
    changed: list[str] = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        path = f"{at}{key}"
        if isinstance(old, Mapping) and isinstance(new, Mapping):
            changed.extend(_changed_paths(old, new, path + "."))
        elif old != new:
            changed.append(path)
    return tuple(changed)
