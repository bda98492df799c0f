"""The sender's records: plain frozen dataclasses, shared by the store, the service and the API."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Platform = Literal["ios", "android"]
Kind = Literal["alert", "data"]
Priority = Literal["high", "normal"]
Status = Literal["queued", "sending", "done"]
Outcome = Literal["accepted", "failed"]
Engagement = Literal["received", "opened", "dismissed"]

PLATFORMS: tuple[str, ...] = ("ios", "android")
KINDS: tuple[str, ...] = ("alert", "data")
PRIORITIES: tuple[str, ...] = ("high", "normal")
ENGAGEMENTS: tuple[str, ...] = ("received", "opened", "dismissed")
TARGETS: tuple[str, ...] = ("user_id", "user_ids", "topic", "condition", "segment", "everyone")


@dataclass(frozen=True, kw_only=True, slots=True)
class Device:
    """A push token an app handed to the sender."""

    token: str
    platform: Platform
    app_id: str
    """The iOS bundle id (the APNs topic) or the Android package name."""
    user_id: str
    registered_at: float
    """When the app last handed this token over; guards the APNs 410 rule (reference/apns.md §2.4)."""
    active: bool = True
    installation_id: str | None = None
    """The app install the token belongs to: a new token for it replaces the old one."""
    inactive_reason: str | None = None
    """Why the token stopped being used (a provider's reason, "unregistered", "replaced")."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, kw_only=True, slots=True)
class Segment:
    """A saved audience: active devices matching every criterion given."""

    name: str
    user_ids: list[str] | None = None
    platform: Platform | None = None
    app_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, kw_only=True, slots=True)
class NotificationRequest:
    """What a caller asks the sender to push, and to whom: exactly one target among ``user_id``,
    ``user_ids``, ``topic`` (an FCM topic), ``condition`` (an FCM topic condition such as
    ``'news' in topics && 'sport' in topics``), ``segment`` (a saved one) and ``everyone``."""

    user_id: str | None = None
    user_ids: list[str] | None = None
    topic: str | None = None
    condition: str | None = None
    segment: str | None = None
    everyone: bool = False
    kind: Kind = "alert"
    title: str | None = None
    body: str | None = None
    data: dict[str, str] = field(default_factory=dict)
    collapse_key: str | None = None
    ttl: int | None = None
    """Seconds the provider may keep the push for an offline device; ``0`` = now or never."""
    priority: Priority | None = None
    """``None`` picks the kind's default: high for alerts, normal for data."""
    badge: int | None = None
    sound: str | None = None
    thread_id: str | None = None
    """Groups notifications (APNs ``thread-id``, Android ``tag``)."""
    category: str | None = None
    """The iOS notification category (actions); Android ``click_action``."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> NotificationRequest:
        return cls(**raw)

    @property
    def targets(self) -> list[str]:
        """The names of the target fields that are set (valid requests have exactly one)."""
        return [
            name
            for name, value in (
                ("user_id", self.user_id),
                ("user_ids", self.user_ids),
                ("topic", self.topic),
                ("condition", self.condition),
                ("segment", self.segment),
                ("everyone", self.everyone or None),
            )
            if value is not None
        ]


@dataclass(frozen=True, kw_only=True, slots=True)
class Delivery:
    """The outcome of one push to one token."""

    notification_id: str
    token: str
    platform: Platform
    outcome: Outcome
    push_id: str | None
    http_status: int
    """``0`` when no HTTP answer was received."""
    reason: str | None
    at: float
    attempts: int = 1
    """How many times it was sent (retries included)."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, kw_only=True, slots=True)
class Notification:
    """A persisted notification and where it is in its life."""

    id: str
    request: NotificationRequest
    status: Status
    created_at: float


@dataclass(frozen=True, kw_only=True, slots=True)
class EngagementEvent:
    """What the user did with a notification on one device, as the app reported it."""

    notification_id: str
    token: str
    event: Engagement
    at: float


@dataclass(frozen=True, kw_only=True, slots=True)
class Batch:
    """A share of one notification's audience, claimed by one sender instance at a time."""

    notification: Notification
    seq: int
    """The batch's number within its notification."""
    tokens: list[str]
    """Tokens still without an outcome (an FCM topic or condition is one entry)."""
    taken_over_from: str | None = None
    """The instance whose lease ran out, when this claim took the batch over."""


CardPlatform = Literal["ios", "android"]
#: The ``target`` of a Google Wallet card's pushes and outcomes: Google syncs the devices.
GOOGLE_WALLET_TARGET = "google-wallet"


@dataclass(frozen=True, kw_only=True, slots=True)
class LoyaltyCard:
    """A loyalty card issued to a user: an Apple Wallet store card or a Google Wallet loyalty
    object (reference/wallet.md)."""

    card_id: str
    """The pass's ``serialNumber`` (Apple) or the object id's suffix (Google)."""
    user_id: str
    platform: CardPlatform
    program: str
    """The pass type identifier (Apple) or the loyalty class id (Google)."""
    member_name: str
    points: int
    tier: str
    auth_token: str | None = None
    """Apple: the pass's ``authenticationToken`` (never changes, reference/wallet.md §2)."""
    version: int = 1
    """1 when issued, one more at every change."""
    tag: int = 0
    """The store's update sequence at the last change: the PassKit ``lastUpdated`` tag."""
    modified_at: int = 0
    """Whole seconds, strictly increasing per card: the pass's ``Last-Modified``."""
    created_at: float = 0.0

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        del out["auth_token"]  # a credential of the pass, not for API listings
        return out


@dataclass(frozen=True, kw_only=True, slots=True)
class PassRegistration:
    """A device that registered a pass for updates (PassKit web service, wallet.md §1)."""

    device_library_id: str
    pass_type_id: str
    serial_number: str
    push_token: str
    registered_at: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, kw_only=True, slots=True)
class CardUpdate:
    """One change of a card, and how each device was told."""

    card_id: str
    version: int
    at: float
    points: int
    tier: str
    outcomes: tuple[CardDelivery, ...] = ()
    pending: tuple[str, ...] = ()
    """Targets still owed this change (in the outbox: being sent, or waiting for a retry)."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, kw_only=True, slots=True)
class CardDelivery:
    """How one device (an APNs pass push) or Google Wallet (a PATCH) heard of a card change."""

    card_id: str
    version: int
    target: str
    """The APNs push token, or ``"google-wallet"``."""
    device_library_id: str | None
    outcome: Outcome
    status: int
    reason: str | None
    push_id: str | None
    at: float
    attempts: int = 1
    """Sends it took (retries included)."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, kw_only=True, slots=True)
class CardPush:
    """One push a card change owes, in the outbox until it has an outcome: an APNs pass push
    to one push token, or the change sent to Google Wallet (``target`` ``"google-wallet"``)."""

    card_id: str
    version: int
    target: str
    device_library_id: str | None
    points_changed: bool
    """Google: the change set new points (a notifying field, reference/wallet.md §7)."""
    tier_changed: bool
    """Google: the change set a new tier (told with a notifying message)."""
    attempts: int = 0
    """Sends made so far (each failed and was worth a retry)."""
    taken_over_from: str | None = None
    """The instance whose lease ran out, when this claim took the push over."""
