"""The phones of a ``Simulation``: add iPhones and Android phones, find them, take them out.

    iphone = sim.add_iphone()                   # "iphone-1", online, on the fake APNs
    pixel = sim.add_android("pixel", api_level=33)
    sim.subscribe(pixel, "news")                # the app subscribes to an FCM topic

A mixin of ``Simulation``, which starts the fakes the phones talk to.
"""

from __future__ import annotations

from typing import Any

from devices.phone import AndroidPhone, IosPhone, Phone
from fakeproviders.apns import FakeApns
from fakeproviders.fcm import FakeFcm
from fakeproviders.gwallet import FakeGoogleWallet
from simulator.app_link import HttpAppServerLink
from simulator.clock import VirtualClock
from simulator.errors import SimulationError
from simulator.timeline import Timeline
from simulator.wallet import AppleWallet

#: The demo app: one bundle id / package name used on both platforms.
DEFAULT_APP_ID = "com.example.app"


class PhonesMixin:
    """The phone part of ``Simulation`` (it provides the attributes below)."""

    apns: FakeApns
    fcm: FakeFcm
    google_wallet: FakeGoogleWallet
    apple_wallet: AppleWallet
    clock: VirtualClock
    timeline: Timeline
    _app_link: HttpAppServerLink
    _phones: dict[str, Phone]
    _phone_numbers: dict[str, int]
    """The last number given to a phone of each name prefix (``iphone``, ``android``)."""

    def _require_started(self) -> None:
        raise NotImplementedError

    def add_iphone(self, phone_id: str | None = None, **settings: Any) -> IosPhone:
        """A new iPhone, online, talking to the fake APNs (both environments: its apps' builds
        choose). ``settings`` go to :class:`devices.ios.IosPhone` (``background_budget``,
        ``voip_failure_limit``, ``token_rules``)."""
        phone = IosPhone(
            self._new_phone_id(phone_id, "iphone"),
            **settings,
            push_service=self.apns.registry,
            clock=self.clock,
            emit=self.timeline.record,
            app_server=self._app_link,
            wallet=self.apple_wallet.phone_setup(),
        )
        self._phones[phone.phone_id] = phone
        return phone

    def add_android(
        self, phone_id: str | None = None, *, api_level: int = 34, **settings: Any
    ) -> AndroidPhone:
        """A new Android phone (API level 34 unless told), online, talking to the fake FCM, with
        Google Wallet synced by the fake Wallet API (``phone.save_pass(link)``).
        ``settings`` go to :class:`devices.android.AndroidPhone` (``token_rules``)."""
        phone = AndroidPhone(
            self._new_phone_id(phone_id, "android"),
            api_level=api_level,
            **settings,
            google_wallet=self.google_wallet.api,
            push_service=self.fcm.registry,
            clock=self.clock,
            emit=self.timeline.record,
            app_server=self._app_link,
        )
        self._phones[phone.phone_id] = phone
        return phone

    def remove_phone(self, phone_id: str) -> None:
        """Take a phone out of the fleet (it goes offline for good; its tokens stay as they are)."""
        self.phone(phone_id).go_offline()
        del self._phones[phone_id]

    @property
    def phones(self) -> list[Phone]:
        return list(self._phones.values())

    def phone(self, phone_id: str) -> Phone:
        try:
            return self._phones[phone_id]
        except KeyError:
            raise SimulationError(f"no phone {phone_id!r}") from None

    def _new_phone_id(self, wanted: str | None, prefix: str) -> str:
        self._require_started()
        if wanted is not None:
            if wanted in self._phones:
                raise SimulationError(f"a phone named {wanted!r} already exists")
            return wanted
        # Numbered on from the last one given (counting the fleet's names at each add made a
        # 10,000-phone fleet cost seconds); a removed phone's name is not given again.
        n = self._phone_numbers.get(prefix, 0) + 1
        while f"{prefix}-{n}" in self._phones:
            n += 1
        self._phone_numbers[prefix] = n
        return f"{prefix}-{n}"

    def subscribe(self, phone: Phone, topic: str, app_id: str = DEFAULT_APP_ID) -> None:
        """The app on an Android ``phone`` subscribes to an FCM ``topic`` (the Firebase SDK's
        ``subscribeToTopic``)."""
        token = phone.app(app_id).token
        if phone.platform != "android" or token is None:
            raise SimulationError(f"{phone.phone_id} has no FCM token for {app_id}")
        try:
            self.fcm.registry.subscribe(token, topic)
        except Exception as exc:  # the registry's own errors say what is wrong
            raise SimulationError(f"cannot subscribe {phone.phone_id} to {topic!r}: {exc}") from exc
