"""The Wallet API's REST calls for loyalty classes and objects, and saving passes (sans-IO).

``insert``, ``get``, ``update`` (PUT), ``patch``, ``list`` and ``addMessage`` for
``loyaltyClass`` and ``loyaltyObject`` (reference/wallet.md §6), authenticated by bearer tokens
from the fake Google token endpoint with the ``wallet_object.issuer`` scope; the caller's service
account must be a user of the issuer whose id prefixes the resource id. Notifying messages and
updates count against the per-pass quota (§7) and reach the phones holding the pass through
:class:`~fakeproviders.gwallet.holders.Holders`. Nothing here does I/O or reads the wall clock.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fakeproviders import strict_json
from fakeproviders.clock import Clock
from fakeproviders.events import Emit, discard_event
from fakeproviders.faults import FaultInjector
from fakeproviders.fcm.oauth import BearerCheck, OAuthEndpoint
from fakeproviders.gwallet import errors
from fakeproviders.gwallet.errors import WalletError
from fakeproviders.gwallet.events import WalletObjectChanged, WalletQuotaExceeded
from fakeproviders.gwallet.holders import Holders, PassNotice, WalletInbox
from fakeproviders.gwallet.options import WalletOptions
from fakeproviders.gwallet.quota import NotificationQuota
from fakeproviders.gwallet.ratelimit import RateLimit
from fakeproviders.gwallet.resources import (
    NOTIFYING_MESSAGE_TYPES,
    Refused,
    changed_fields,
    check_class,
    check_message,
    check_object,
    issuer_of,
    merge,
    wants_notification,
)
from fakeproviders.gwallet.save_link import LinkRefused, read_save_link
from fakeproviders.gwallet.saving import SavedPass, SaveOutcome, planned_inserts
from fakeproviders.gwallet.store import InMemoryWalletStore, Kind

WALLET_SCOPE = "https://www.googleapis.com/auth/wallet_object.issuer"
PROVIDER = "gwallet"


@dataclass(frozen=True, slots=True)
class Reply:
    """Status, JSON body and headers, and what the request log keeps."""

    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    reason: str | None = None
    push_id: str | None = None
    """The notification this call made Google Wallet send, if any."""

    @classmethod
    def ok(cls, data: object, push_id: str | None = None) -> Reply:
        body = json.dumps(data, indent=2).encode()
        return cls(200, body, {"content-type": errors.CONTENT_TYPE}, push_id=push_id)

    @classmethod
    def error(cls, error: WalletError) -> Reply:
        headers = {"content-type": errors.CONTENT_TYPE, **error.headers}
        return cls(error.status, error.content(), headers, reason=error.reason)


class WalletApi:
    """Loyalty classes and objects of the issuers, who may change them, and who holds them.

    ``issuers`` maps an issuer id to the service-account emails that are its users (the Pay &
    Wallet console's user list). It also implements the protocol phones use to save passes
    (``devices.google_wallet.GoogleWalletService``).
    """

    def __init__(
        self,
        *,
        clock: Clock,
        oauth: OAuthEndpoint,
        issuers: Mapping[str, Iterable[str]] | None = None,
        options: WalletOptions | None = None,
        emit: Emit = discard_event,
        store: InMemoryWalletStore | None = None,
    ) -> None:
        self._clock = clock
        self._oauth = oauth
        self._issuers = {i: set(emails) for i, emails in (issuers or {}).items()}
        self.options = options = options or WalletOptions()
        self._emit = emit
        self.store = store if store is not None else InMemoryWalletStore()
        self.quota = NotificationQuota(options.notifications_per_window, options.quota_window)
        self.holders = Holders(self.view)
        self.faults = FaultInjector()
        rate = options.requests_per_second
        self._rate = None if rate is None else RateLimit(rate, clock.now())

    # -- REST ---------------------------------------------------------------------------------

    def gate(self, resource_id: str | None) -> tuple[WalletError | None, float]:
        """Before any call: an injected fault (``token`` scopes it to a resource id) or the
        rate limit may answer instead. Returns that error, if any, and a latency to wait."""
        now = self._clock.now()
        fault = self.faults.pick(token=resource_id, topic=None, now=now)
        if fault is not None and fault.status is not None:
            return errors.injected(fault.status, fault.reason, fault.retry_after), fault.latency
        latency = 0.0 if fault is None else fault.latency
        if self._rate is not None and not self._rate.allow(now):
            return errors.rate_limited(), latency
        return None, latency

    def insert(self, kind: Kind, authorization: str | None, raw: bytes) -> Reply:
        try:
            caller = self._caller(authorization)
            resource = self._check(kind, _json(raw), inserting=True)
            resource_id = resource["id"]
            self._authorize(caller, resource_id)
            if self.store.exists(kind, resource_id):
                label = "Object Class" if kind == "loyaltyClass" else "Object"
                raise Refused(errors.already_exists(label, resource_id))
            if kind == "loyaltyObject":
                self._require_class(caller, resource["classId"])
            resource.pop("notifyPreference", None)  # ephemeral (§7)
            self.store.put(kind, resource)
        except Refused as refused:
            return Reply.error(refused.error)
        if kind == "loyaltyObject":
            self._changed(resource_id, "insert", None)
        return Reply.ok(_shown(kind, resource))

    def get(self, kind: Kind, resource_id: str, authorization: str | None) -> Reply:
        try:
            return Reply.ok(_shown(kind, self._existing(kind, resource_id, authorization)))
        except Refused as refused:
            return Reply.error(refused.error)

    def update(
        self, kind: Kind, resource_id: str, authorization: str | None, raw: bytes, *, patch: bool
    ) -> Reply:
        """PUT (``patch=False``: the body replaces the resource) or PATCH (fields merge)."""
        try:
            current = self._existing(kind, resource_id, authorization)
            body = _json(raw)
            if not isinstance(body, dict):
                raise Refused(errors.invalid_argument("The request body must be a JSON object."))
            if body.get("id", resource_id) != resource_id:
                # [U] Google's text when the body names another resource than the URL.
                raise Refused(errors.invalid_argument("The resource id cannot be changed."))
            new = merge(current, body) if patch else {**body, "id": resource_id}
            new = self._check(kind, new, inserting=False)
            new.pop("notifyPreference", None)  # ephemeral: judged per request, never kept (§7)
            notice = None
            if kind == "loyaltyObject":
                self._require_class(self._caller(authorization), new["classId"])
                notice = self._update_notice(current, new, wants_notification(body))
            self.store.put(kind, new)
        except Refused as refused:
            return Reply.error(refused.error)
        if kind == "loyaltyObject":
            self._changed(resource_id, "patch" if patch else "update", notice)
            return Reply.ok(_shown(kind, new), push_id=None if notice is None else notice.notice_id)
        fields = changed_fields(current, new, self.options.class_notify_fields)
        notify = bool(fields) and wants_notification(body)
        for object_id in self.store.objects_of_class(resource_id):
            notice = None
            if notify and self._within_quota(object_id, "class"):
                notice = self._notice("update", fields=tuple(fields))
            self._changed(object_id, "class", notice)
        return Reply.ok(_shown(kind, new))

    def list_resources(
        self, kind: Kind, authorization: str | None, query: Mapping[str, str]
    ) -> Reply:
        """``GET /loyaltyClass?issuerId=`` or ``GET /loyaltyObject?classId=`` (§6)."""
        param = "issuerId" if kind == "loyaltyClass" else "classId"
        try:
            caller = self._caller(authorization)
            value = query.get(param)
            if not value:
                raise Refused(errors.invalid_argument(f"{param} is required."))
            if kind == "loyaltyClass":
                if not value.isdigit():
                    raise Refused(errors.invalid_resource_id(value))
                self._authorize_issuer(caller, value)
                ids = self.store.classes_of_issuer(value)
            else:
                self._authorize(caller, value)
                ids = self.store.objects_of_class(value)
        except Refused as refused:
            return Reply.error(refused.error)
        resources = [_shown(kind, r) for i in ids if (r := self.store.get(kind, i)) is not None]
        pagination = {"kind": "walletobjects#pagination", "resultsPerPage": len(resources)}
        return Reply.ok({"resources": resources, "pagination": pagination})

    def add_message(
        self, kind: Kind, resource_id: str, authorization: str | None, raw: bytes
    ) -> Reply:
        """``POST .../{id}/addMessage`` with ``{"message": {...}}``; answers ``{"resource"}``.

        A class's message reaches every object of the class; ``TEXT_AND_NOTIFY`` notifies each
        pass and counts against each pass's quota (§7)."""
        try:
            current = self._existing(kind, resource_id, authorization)
            body = _json(raw)
            if not isinstance(body, dict) or "message" not in body:
                raise Refused(errors.invalid_argument("message is required."))
            message = check_message(body["message"])
            targets = (
                [resource_id]
                if kind == "loyaltyObject"
                else self.store.objects_of_class(resource_id)
            )
            notifying = message.get("messageType") in NOTIFYING_MESSAGE_TYPES
            if notifying:
                now = self._clock.now()
                for object_id in targets:
                    if not self.quota.allows(object_id, now):
                        self._over_quota(object_id, "message")
                        target = "class" if kind == "loyaltyClass" else "object"
                        raise Refused(
                            errors.quota_exceeded(
                                issuer_of(resource_id),
                                f"adding TEXT_AND_NOTIFY message to {target} {resource_id}",
                            )
                        )
            current["messages"] = [*current.get("messages", []), message]
            self.store.put(kind, current)
        except Refused as refused:
            return Reply.error(refused.error)
        push_id = None
        for object_id in targets:
            notice = None
            if notifying:
                self.quota.take(object_id, self._clock.now())
                notice = self._notice("message", message.get("header"), message.get("body"))
                push_id = notice.notice_id
            self._changed(object_id, "message", notice)
        return Reply.ok({"resource": _shown(kind, current)}, push_id=push_id)

    # -- phones (devices.google_wallet.GoogleWalletService) -----------------------------------

    def save(self, phone_id: str, link: str) -> SaveOutcome:
        """The user opened a "Save to Google Wallet" link on ``phone_id`` and saved it (§8;
        what it inserts: :func:`~fakeproviders.gwallet.saving.planned_inserts`)."""
        try:
            request = read_save_link(link, self._oauth.account, self._clock.now())
            inserts = planned_inserts(
                self.store,
                lambda resource_id: self._authorize(request.client_email, resource_id),
                request.classes,
                request.objects,
                require_state=self.options.require_state,
            )
        except LinkRefused as refused:
            return SaveOutcome(error=str(refused))
        except Refused as refused:
            return SaveOutcome(error=refused.error.message)
        for kind, resource in inserts:
            self.store.put(kind, resource)
        saved = []
        for obj in request.objects:
            self.holders.add(phone_id, obj["id"])
            self._changed(obj["id"], "save", None, announce_only=True)
            view = self.view(obj["id"])
            if view is not None:
                saved.append(SavedPass(obj["id"], view))
        return SaveOutcome(tuple(saved))

    def remove(self, phone_id: str, object_id: str) -> None:
        """The user deleted the pass from the phone's Wallet."""
        self.holders.remove(phone_id, object_id)

    def connect(self, phone_id: str, inbox: WalletInbox) -> None:
        self.holders.connect(phone_id, inbox)

    def disconnect(self, phone_id: str) -> None:
        self.holders.disconnect(phone_id)

    def view(self, object_id: str) -> dict[str, Any] | None:
        """What a phone holding ``object_id`` shows: ``{"object", "class"}``."""
        obj = self.store.get("loyaltyObject", object_id)
        if obj is None:
            return None
        return {"object": obj, "class": self.store.get("loyaltyClass", obj["classId"])}

    # -- helpers ------------------------------------------------------------------------------

    def _caller(self, authorization: str | None) -> str:
        check, token = self._oauth.authenticate(authorization, frozenset({WALLET_SCOPE}))
        if check is BearerCheck.INSUFFICIENT_SCOPE:
            raise Refused(errors.insufficient_scopes())
        if token is None:
            raise Refused(errors.unauthenticated(missing=check is BearerCheck.MISSING))
        return token.client_email

    def _authorize(self, caller: str, resource_id: str) -> None:
        self._authorize_issuer(caller, issuer_of(resource_id))

    def _authorize_issuer(self, caller: str, issuer_id: str) -> None:
        if caller not in self._issuers.get(issuer_id, ()):
            raise Refused(errors.permission_denied())

    def _existing(self, kind: Kind, resource_id: str, authorization: str | None) -> dict[str, Any]:
        caller = self._caller(authorization)
        self._authorize(caller, resource_id)
        found = self.store.get(kind, resource_id)
        if found is None:
            missing = errors.class_not_found if kind == "loyaltyClass" else errors.object_not_found
            raise Refused(missing(resource_id))
        return found

    def _require_class(self, caller: str, class_id: str) -> None:
        self._authorize(caller, class_id)
        if not self.store.exists("loyaltyClass", class_id):
            raise Refused(errors.class_not_found(class_id))

    def _check(self, kind: Kind, resource: Any, *, inserting: bool) -> dict[str, Any]:
        if kind == "loyaltyClass":
            return check_class(resource, inserting=inserting)
        return check_object(resource, require_state=self.options.require_state)

    def _update_notice(
        self, before: dict[str, Any], after: dict[str, Any], notify: bool
    ) -> PassNotice | None:
        fields = changed_fields(before, after, self.options.notify_fields) if notify else []
        if not fields:
            return None
        object_id = after["id"]
        if not self._within_quota(object_id, "update"):
            if not self.options.refuse_update_over_quota:
                return None
            # [U] Google's text for an update over the quota; the message's shape is §7's.
            raise Refused(
                errors.quota_exceeded(
                    issuer_of(object_id),
                    f"updating object {object_id} with notifyPreference NOTIFY_ON_UPDATE",
                )
            )
        return self._notice("update", fields=tuple(fields))

    def _within_quota(self, object_id: str, change: str) -> bool:
        """Count one notification for the pass if its quota allows; else record the refusal."""
        now = self._clock.now()
        if self.quota.allows(object_id, now):
            self.quota.take(object_id, now)
            return True
        self._over_quota(object_id, change)
        return False

    def _over_quota(self, object_id: str, change: str) -> None:
        used = self.quota.used(object_id, self._clock.now())
        self._emit(
            WalletQuotaExceeded(
                at=self._clock.now(), provider=PROVIDER, object_id=object_id, change=change,
                used=used,
            )
        )  # fmt: skip

    def _notice(
        self, kind: str, header: str | None = None, body: str | None = None,
        fields: tuple[str, ...] = (),
    ) -> PassNotice:  # fmt: skip
        return PassNotice(f"gwallet-{secrets.token_hex(8)}", kind, header, body, fields)

    def _changed(
        self, object_id: str, change: str, notice: PassNotice | None, *, announce_only: bool = False
    ) -> None:
        obj = self.store.get("loyaltyObject", object_id)
        self._emit(
            WalletObjectChanged(
                at=self._clock.now(), provider=PROVIDER, object_id=object_id,
                class_id="" if obj is None else obj["classId"], change=change,
                push_id=None if notice is None else notice.notice_id,
                holders=len(self.holders.holding(object_id)),
            )
        )  # fmt: skip
        if not announce_only:
            self.holders.changed(object_id, notice)


def _json(raw: bytes) -> Any:
    try:
        return strict_json.loads(raw)
    except ValueError:  # UnicodeDecodeError included
        raise Refused(errors.invalid_json(raw)) from None


def _shown(kind: Kind, resource: Mapping[str, Any]) -> dict[str, Any]:
    """A resource as the API returns it, with its ``kind`` [C G1]."""
    return {"kind": f"walletobjects#{kind}", **resource}
