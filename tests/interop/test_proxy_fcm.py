"""Python FCM senders, unmodified, reaching the fake through Google's own host names.

Each client is configured as against Google, in the environment ``pushsim env`` prints
(``use_pushsim_env``: ``HTTPS_PROXY``, ``REQUESTS_CA_BUNDLE``/``SSL_CERT_FILE`` = system CAs +
the local CA, ``GOOGLE_APPLICATION_CREDENTIALS``). The service account used here names Google's
``token_uri`` (as a real one does), so the OAuth2 token request goes to
``oauth2.googleapis.com`` through the proxy too, and sends go to ``fcm.googleapis.com``.

firebase-admin's ``send_each_async`` is the exception: it ignores ``HTTPS_PROXY`` (one test
shows why), so its test sets the one URL constant it has (reference/fcm.md §6.1).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from pathlib import Path

import firebase_admin
import httpcore
import httpx
import pytest
from firebase_admin import messaging
from pyfcm import FCMNotification
from pyfcm.errors import FCMNotRegisteredError

from fakeproviders.fcm.service_account import GOOGLE_TOKEN_URI
from simulator.credentials import load_or_create_service_account
from simulator.simulation import DEFAULT_APP_ID, Simulation

# firebase-admin 7.5+ deprecates Message.token for Message.fid; tokens are what apps report.
pytestmark = pytest.mark.filterwarnings("ignore:Message.token is deprecated")

APP = DEFAULT_APP_ID
_names = itertools.count()


@pytest.fixture
def google_env(
    sim: Simulation,
    use_pushsim_env: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> dict[str, str]:
    """``pushsim env``, with ``GOOGLE_APPLICATION_CREDENTIALS`` naming a copy of the simulation's
    service account whose ``token_uri`` is Google's own (what a downloaded key file says)."""
    account = load_or_create_service_account(sim.state_dir, sim.project_id)
    path = account.write(tmp_path / "service-account.json", token_uri=GOOGLE_TOKEN_URI)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
    return {**use_pushsim_env, "GOOGLE_APPLICATION_CREDENTIALS": str(path)}


@pytest.fixture
def admin_app(google_env: dict[str, str]) -> Iterator[firebase_admin.App]:
    """``firebase_admin.initialize_app()`` with no arguments: Application Default Credentials
    from ``GOOGLE_APPLICATION_CREDENTIALS``, the project id from the key file."""
    app = firebase_admin.initialize_app(name=f"proxy-{next(_names)}")
    yield app
    firebase_admin.delete_app(app)


def _android_with_app(sim: Simulation, user_id: str) -> tuple[str, str]:
    """(phone id, token) of a new Android phone with the demo app installed and allowed."""
    phone = sim.add_android()
    return phone.phone_id, str(phone.install(APP, user_id=user_id, answer="allow").token)


def _dead_token(sim: Simulation) -> str:
    """The token of an app installed and then uninstalled: FCM answers 404 UNREGISTERED."""
    phone = sim.add_android()
    token = str(phone.install(APP, user_id="gone", answer="allow").token)
    phone.uninstall(APP)
    return token


def _alert(token: str, title: str) -> messaging.Message:
    return messaging.Message(token=token, notification=messaging.Notification(title=title))


async def test_firebase_admin_send_with_https_proxy_reaches_the_phone(
    sim: Simulation, admin_app: firebase_admin.App
) -> None:
    """messaging.send() through HTTPS_PROXY (token and send both over the proxy) makes the phone
    show the notification."""
    phone_id, token = _android_with_app(sim, "alice")
    name = await asyncio.to_thread(messaging.send, _alert(token, "Via send"), app=admin_app)
    assert name.startswith(f"projects/{sim.project_id}/messages/")
    shown = await sim.expect("NotificationDisplayed", notification=name)
    assert (shown.phone_id, shown.title) == (phone_id, "Via send")


async def test_firebase_admin_send_with_https_proxy_raises_unregistered(
    sim: Simulation, admin_app: firebase_admin.App
) -> None:
    """messaging.send() through HTTPS_PROXY raises UnregisteredError for an uninstalled app."""
    token = _dead_token(sim)
    with pytest.raises(messaging.UnregisteredError):
        await asyncio.to_thread(messaging.send, _alert(token, "gone?"), app=admin_app)


async def test_firebase_admin_send_each_with_https_proxy_reports_each_message(
    sim: Simulation, admin_app: firebase_admin.App
) -> None:
    """messaging.send_each() through HTTPS_PROXY delivers to the live token and reports
    UnregisteredError for the dead one, per message."""
    phone_id, live = _android_with_app(sim, "bob")
    messages = [_alert(live, "Via send_each"), _alert(_dead_token(sim), "gone?")]
    batch = await asyncio.to_thread(messaging.send_each, messages, app=admin_app)
    ok, gone = batch.responses
    assert ok.success and isinstance(gone.exception, messaging.UnregisteredError)
    shown = await sim.expect("NotificationDisplayed", notification=ok.message_id)
    assert (shown.phone_id, shown.title) == (phone_id, "Via send_each")


async def test_firebase_admin_send_each_async_ignores_https_proxy(
    admin_app: firebase_admin.App,
) -> None:
    """send_each_async() cannot be routed by HTTPS_PROXY: firebase-admin mounts its own
    transports for https://, which replace the proxy transport httpx builds from the
    environment (httpx's trust_env still applies to SSL_CERT_FILE)."""
    url = httpx.URL("https://fcm.googleapis.com/v1/projects/p/messages:send")
    plain = httpx.AsyncClient()
    service = messaging._get_messaging_service(admin_app)
    admin_client = service._async_client.async_client
    try:
        plain_pool = plain._transport_for_url(url)._pool  # type: ignore[attr-defined]
        assert isinstance(plain_pool, httpcore.AsyncHTTPProxy)  # the environment is right
        admin_transport = admin_client._transport_for_url(url)
        pool = admin_transport._wrapped_transport._pool  # type: ignore[attr-defined]
        assert not isinstance(pool, httpcore.AsyncHTTPProxy)
    finally:
        await plain.aclose()
        await admin_client.aclose()


async def test_firebase_admin_send_each_async_with_its_url_constant_reports_each_message(
    sim: Simulation, google_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """send_each_async() (httpx, HTTP/2), with the FCM_URL class constant pointed at the fake
    (the library offers nothing else) and the token fetched through HTTPS_PROXY, delivers to the
    live token and reports UnregisteredError for the dead one."""
    monkeypatch.setattr(
        messaging._MessagingService, "FCM_URL", f"{sim.fcm.url}/v1/projects/{{0}}/messages:send"
    )
    app = firebase_admin.initialize_app(name=f"proxy-async-{next(_names)}")
    try:
        # The auth flow refreshes with blocking requests inside the event loop, which would
        # starve the fakes serving in this same loop: fetch the token first, in a thread.
        await asyncio.to_thread(app.credential.get_access_token)
        phone_id, live = _android_with_app(sim, "carol")
        messages = [_alert(live, "Via send_each_async"), _alert(_dead_token(sim), "gone?")]
        batch = await messaging.send_each_async(messages, app=app)
    finally:
        # delete_app closes the async client with asyncio.run(): not from inside this loop.
        await asyncio.to_thread(firebase_admin.delete_app, app)
    ok, gone = batch.responses
    assert ok.success and isinstance(gone.exception, messaging.UnregisteredError)
    shown = await sim.expect("NotificationDisplayed", notification=ok.message_id)
    assert (shown.phone_id, shown.title) == (phone_id, "Via send_each_async")
    assert {e.http_version for e in sim.fcm.request_log.query(kind="send")} == {"2"}


def _pyfcm(env: dict[str, str]) -> FCMNotification:
    """PyFCM as against Google: a key file and a project id; its requests session reads
    HTTPS_PROXY and REQUESTS_CA_BUNDLE (trust_env)."""
    return FCMNotification(
        service_account_file=env["GOOGLE_APPLICATION_CREDENTIALS"],
        project_id=env["FCM_PROJECT_ID"],
    )


async def test_pyfcm_with_https_proxy_reaches_the_phone(
    sim: Simulation, google_env: dict[str, str]
) -> None:
    """PyFCM's notify() through HTTPS_PROXY makes the phone show the notification."""
    phone_id, token = _android_with_app(sim, "dan")
    result = await asyncio.to_thread(
        _pyfcm(google_env).notify, fcm_token=token, notification_title="Via PyFCM"
    )
    shown = await sim.expect("NotificationDisplayed", notification=result["name"])
    assert (shown.phone_id, shown.title) == (phone_id, "Via PyFCM")


async def test_pyfcm_with_https_proxy_raises_not_registered(
    sim: Simulation, google_env: dict[str, str]
) -> None:
    """Through HTTPS_PROXY, PyFCM raises FCMNotRegisteredError for an uninstalled app."""
    token = _dead_token(sim)
    with pytest.raises(FCMNotRegisteredError):
        await asyncio.to_thread(_pyfcm(google_env).notify, fcm_token=token, notification_title="x")
