"""firebase-admin (Python), unmodified, against the fake FCM.

firebase-admin has no FCM emulator setting (reference/fcm.md §6.1): its URLs are the class
constants ``_MessagingService.FCM_URL`` and ``IID_URL`` and, for the v1 topic API, the
instance attribute ``_fcm_topic_url`` built in ``__init__``. These three are monkeypatched (the
only change; an HTTPS proxy route comes with issue 9). Everything else is configuration:
google-auth follows the service account's ``token_uri`` to the fake's token endpoint, and the
local CA is trusted through ``REQUESTS_CA_BUNDLE`` (requests) and ``SSL_CERT_FILE`` (httpx).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from pathlib import Path

import firebase_admin
import pytest
from firebase_admin import credentials, messaging

from devices.phone import AndroidPhone
from fakeproviders.ca import LocalCA
from fakeproviders.clock import WallClock
from fakeproviders.fcm import FakeFcm, ServiceAccount

# firebase-admin 7.5+ deprecates Message.token for Message.fid; both are served.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Message.token is deprecated", "ignore:subscribe_to_topic_legacy is deprecated"
)

PROJECT = "interop-proj"
APP = "com.example.app"
_names = itertools.count()


@pytest.fixture
def app(
    fcm: FakeFcm,
    account: ServiceAccount,
    ca: LocalCA,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[firebase_admin.App]:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca.cert_path))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca.cert_path))
    service = messaging._MessagingService
    monkeypatch.setattr(service, "FCM_URL", f"{fcm.url}/v1/projects/{{0}}/messages:send")
    monkeypatch.setattr(service, "IID_URL", fcm.url)
    path = account.write(tmp_path / "service-account.json", fcm.token_uri)
    app = firebase_admin.initialize_app(
        credentials.Certificate(str(path)), {"projectId": PROJECT}, name=f"fake-{next(_names)}"
    )
    # The v1 topic API URL is an f-string of the service's __init__ (firebase-admin 7.7.0).
    messaging._get_messaging_service(
        app
    )._fcm_topic_url = f"{fcm.url}/v1/projects/{PROJECT}/registrations"
    yield app
    firebase_admin.delete_app(app)


def android_phone(fcm: FakeFcm, phone_id: str = "pixel") -> AndroidPhone:
    return AndroidPhone(phone_id, push_service=fcm.registry, clock=WallClock())


async def test_send_reaches_an_android_phone(fcm: FakeFcm, app: firebase_admin.App) -> None:
    """messaging.send() gets a message name and the phone shows the notification."""
    phone = android_phone(fcm)
    phone.install(APP, "alice", answer="allow")
    token = phone.app(APP).token
    message = messaging.Message(
        token=token, notification=messaging.Notification(title="Hello", body="from admin")
    )
    name = await asyncio.to_thread(messaging.send, message, app=app)
    assert name.startswith(f"projects/{PROJECT}/messages/")
    [entry] = phone.notifications(APP)
    assert entry.title == "Hello"


async def test_send_to_an_uninstalled_app_raises_unregistered(
    fcm: FakeFcm, app: firebase_admin.App
) -> None:
    """After uninstall, send() raises messaging.UnregisteredError."""
    token = fcm.registry.register("pixel", APP)
    fcm.registry.unregister(token)
    with pytest.raises(messaging.UnregisteredError):
        await asyncio.to_thread(messaging.send, messaging.Message(token=token), app=app)


async def test_send_to_an_fid_reaches_the_phone(fcm: FakeFcm, app: firebase_admin.App) -> None:
    """messaging.send() with Message(fid=...) (the newer target) reaches the instance."""
    phone = android_phone(fcm)
    phone.install(APP, "alice", answer="allow")
    fid = str(phone.app(APP).token).split(":")[0]
    message = messaging.Message(fid=fid, notification=messaging.Notification(title="By FID"))
    await asyncio.to_thread(messaging.send, message, app=app)
    assert [e.title for e in phone.notifications(APP)] == ["By FID"]


async def test_send_each_reports_per_message_results(fcm: FakeFcm, app: firebase_admin.App) -> None:
    """send_each(): one success per live token, UnregisteredError for the dead one."""
    live = fcm.registry.register("p1", APP)
    dead = fcm.registry.register("p2", APP)
    fcm.registry.unregister(dead)
    messages = [messaging.Message(token=t, data={"k": "v"}) for t in (live, dead)]
    batch = await asyncio.to_thread(messaging.send_each, messages, app=app)
    assert (batch.success_count, batch.failure_count) == (1, 1)
    assert isinstance(batch.responses[1].exception, messaging.UnregisteredError)


async def test_send_each_async_delivers_over_httpx(fcm: FakeFcm, app: firebase_admin.App) -> None:
    """send_each_async() (httpx, HTTP/2) delivers every message to the phone.

    Its auth flow refreshes the token with blocking requests inside the event loop, which would
    starve the fake serving in this same loop; the token is fetched beforehand in a thread.
    """
    await asyncio.to_thread(app.credential.get_access_token)
    phone = android_phone(fcm)
    phone.install(APP, "alice", answer="allow")
    token = phone.app(APP).token
    messages = [
        messaging.Message(token=token, notification=messaging.Notification(title=f"n{i}"))
        for i in range(3)
    ]
    batch = await messaging.send_each_async(messages, app=app)
    assert batch.success_count == 3
    assert sorted(e.title for e in phone.notifications(APP)) == ["n0", "n1", "n2"]
    assert {e.http_version for e in fcm.request_log.query(kind="send")} == {"2"}


async def test_subscribe_to_topic_uses_the_v1_api(fcm: FakeFcm, app: firebase_admin.App) -> None:
    """subscribe_to_topic() goes through registrations/{t}/topicSubscriptions; topic sends land."""
    phone = android_phone(fcm)
    phone.install(APP, "alice", answer="allow")
    token = phone.app(APP).token
    dead = fcm.registry.register("p2", APP)
    fcm.registry.unregister(dead)
    result = await asyncio.to_thread(messaging.subscribe_to_topic, [token, dead], "news", app=app)
    assert (result.success_count, result.failure_count) == (1, 1)
    assert fcm.request_log.count(kind="topics.create") == 2
    again = await asyncio.to_thread(messaging.subscribe_to_topic, [token], "news", app=app)
    assert again.success_count == 1  # 409 ALREADY_EXISTS counts as success
    message = messaging.Message(topic="news", notification=messaging.Notification(title="T"))
    await asyncio.to_thread(messaging.send, message, app=app)
    assert [e.title for e in phone.notifications(APP)] == ["T"]
    removed = await asyncio.to_thread(messaging.unsubscribe_from_topic, [token], "news", app=app)
    assert removed.success_count == 1
    assert fcm.registry.topics_of(token) == {}


async def test_subscribe_to_topic_legacy_uses_the_iid_api(
    fcm: FakeFcm, app: firebase_admin.App
) -> None:
    """subscribe_to_topic_legacy() goes through iid/v1:batchAdd with per-token results."""
    token = fcm.registry.register("p1", APP)
    result = await asyncio.to_thread(
        messaging.subscribe_to_topic_legacy, [token, "not-a-token"], "/topics/news", app=app
    )
    assert (result.success_count, result.failure_count) == (1, 1)
    assert result.errors[0].reason == "INVALID_ARGUMENT"
    assert fcm.request_log.count(kind="iid.batchAdd") == 1
    assert fcm.registry.topics_of(token).keys() == {"news"}
