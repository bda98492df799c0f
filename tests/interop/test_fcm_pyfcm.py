"""PyFCM 2.x, unmodified, against the fake FCM.

PyFCM builds its URL from the ``FCM_END_POINT_BASE`` attribute (reference/fcm.md §6.3), read
through ``self``: it is set on the instance, as configuration, before the first send. The
service account's ``token_uri`` takes google-auth to the fake's token endpoint, and requests
trusts the local CA through ``REQUESTS_CA_BUNDLE``. PyFCM is synchronous: it runs in a thread
while the fake serves in the test's event loop.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pyfcm import FCMNotification
from pyfcm.errors import FCMNotRegisteredError, FCMSenderIdMismatchError

from devices.phone import AndroidPhone
from fakeproviders.ca import LocalCA
from fakeproviders.clock import WallClock
from fakeproviders.fcm import FakeFcm, ServiceAccount

PROJECT = "pyfcm-proj"
APP = "com.example.app"


@pytest.fixture
def pyfcm(
    fcm: FakeFcm,
    account: ServiceAccount,
    ca: LocalCA,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> FCMNotification:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca.cert_path))
    path = account.write(tmp_path / "service-account.json", fcm.token_uri)
    client = FCMNotification(service_account_file=str(path), project_id=PROJECT)
    client.FCM_END_POINT_BASE = f"{fcm.url}/v1/projects"
    return client


async def test_notify_reaches_an_android_phone(fcm: FakeFcm, pyfcm: FCMNotification) -> None:
    """notify() gets a message name back and the phone shows the notification."""
    phone = AndroidPhone("pixel", push_service=fcm.registry, clock=WallClock())
    phone.install(APP, "alice", answer="allow")
    result = await asyncio.to_thread(
        pyfcm.notify,
        fcm_token=phone.app(APP).token,
        notification_title="Hi",
        notification_body="from PyFCM",
        data_payload={"k": "v"},
    )
    assert result["name"].startswith(f"projects/{PROJECT}/messages/")
    [entry] = phone.notifications(APP)
    assert (entry.title, entry.body) == ("Hi", "from PyFCM")


async def test_notify_to_an_uninstalled_app_raises_not_registered(
    fcm: FakeFcm, pyfcm: FCMNotification
) -> None:
    """A 404 UNREGISTERED becomes PyFCM's FCMNotRegisteredError."""
    token = fcm.registry.register("pixel", APP)
    fcm.registry.unregister(token)
    with pytest.raises(FCMNotRegisteredError):
        await asyncio.to_thread(pyfcm.notify, fcm_token=token, notification_title="x")


async def test_notify_to_another_projects_token_raises_sender_id_mismatch(
    fcm: FakeFcm, pyfcm: FCMNotification
) -> None:
    """A 403 SENDER_ID_MISMATCH becomes FCMSenderIdMismatchError."""
    token = fcm.registry.register("pixel", APP, project_id="someone-else")
    with pytest.raises(FCMSenderIdMismatchError):
        await asyncio.to_thread(pyfcm.notify, fcm_token=token, notification_title="x")


async def test_notify_to_a_topic_fans_out(fcm: FakeFcm, pyfcm: FCMNotification) -> None:
    """notify(topic_name=...) reaches every subscribed phone."""
    phones = [AndroidPhone(f"p{i}", push_service=fcm.registry, clock=WallClock()) for i in range(2)]
    for phone in phones:
        phone.install(APP, "u", answer="allow")
        fcm.registry.subscribe(str(phone.app(APP).token), "news")
    await asyncio.to_thread(pyfcm.notify, topic_name="news", notification_title="Topic")
    assert [len(p.notifications(APP)) for p in phones] == [1, 1]
