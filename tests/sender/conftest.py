"""Fixtures for the sender's tests: a manual clock, signing keys, scripted providers."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from requests.structures import CaseInsensitiveDict

import sender
from sender import ApnsClient, FcmClient, SenderService, SqliteStore, Store
from sender.events import SenderEvent
from sender.policy import RetryPolicy

START = 1_750_000_000.0
TOKEN_URI = "https://oauth.test/token"
APNS_URL = "https://apns.test"
FCM_URL = "https://fcm.test"
PROJECT = "demo-project"


class ManualClock:
    """A clock that moves only when told; ``sleep`` jumps ahead at once and is recorded."""

    def __init__(self, start: float = START) -> None:
        self.t = start
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds

    def advance(self, seconds: float) -> None:
        assert seconds >= 0, "time can't go backwards"
        self.t += seconds


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(scope="session")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="session")
def ec_pem(ec_key: ec.EllipticCurvePrivateKey) -> bytes:
    return ec_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def service_account(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> Path:
    """A service-account JSON whose ``token_uri`` points at the mock token endpoint."""
    pem = rsa_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    info = {
        "type": "service_account",
        "project_id": PROJECT,
        "private_key_id": "key-1",
        "private_key": pem,
        "client_email": "sender@demo-project.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": TOKEN_URI,
    }
    path = tmp_path / "service-account.json"
    path.write_text(json.dumps(info))
    return path


class TokenEndpoint(requests.adapters.BaseAdapter):
    """A mock OAuth2 token endpoint mounted on a ``requests.Session``: issues tok-1, tok-2, ..."""

    def __init__(self) -> None:
        super().__init__()
        self.assertions: list[dict[str, Any]] = []
        self.urls: list[str] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        body = request.body.decode() if isinstance(request.body, bytes) else str(request.body)
        form = dict(urllib.parse.parse_qsl(body))
        self.urls.append(str(request.url))
        self.assertions.append(jwt.decode(form["assertion"], options={"verify_signature": False}))
        response = requests.Response()
        response.status_code = 200
        response.headers = CaseInsensitiveDict({"content-type": "application/json"})
        token = f"tok-{len(self.assertions)}"
        response._content = json.dumps({"access_token": token, "expires_in": 3599}).encode()
        response.url = str(request.url)
        response.request = request
        return response

    def close(self) -> None:
        pass


@pytest.fixture
def token_endpoint() -> TokenEndpoint:
    return TokenEndpoint()


@pytest.fixture
def token_session(token_endpoint: TokenEndpoint) -> requests.Session:
    session = requests.Session()
    session.mount("https://oauth.test/", token_endpoint)
    return session


Handler = Callable[[httpx.Request], httpx.Response]


@dataclass
class Script:
    """Scripted provider answers per token: a list is consumed in order, its last entry repeats."""

    answers: dict[str, list[httpx.Response]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)

    def answer(self, token: str, *responses: httpx.Response) -> None:
        self.answers[token] = list(responses)

    def next_for(self, token: str, default: Callable[[], httpx.Response]) -> httpx.Response:
        queue = self.answers.get(token)
        if not queue:
            return default()
        return queue.pop(0) if len(queue) > 1 else queue[0]


@pytest.fixture
def apns_script() -> Script:
    return Script()


@pytest.fixture
def fcm_script() -> Script:
    return Script()


def apns_handler(script: Script) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response:
        script.requests.append(request)
        token = request.url.path.rsplit("/", 1)[-1]
        apns_id = request.headers["apns-id"]
        response = script.next_for(token, lambda: httpx.Response(200))
        response.headers["apns-id"] = apns_id
        return response

    return handle


def fcm_handler(script: Script) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response:
        script.requests.append(request)
        message = json.loads(request.content)["message"]
        token = message.get("token") or f"topic:{message.get('topic')}"
        name = f"projects/{PROJECT}/messages/{len(script.requests)}"
        return script.next_for(token, lambda: httpx.Response(200, json={"name": name}))

    return handle


def apns_error(status: int, reason: str, **extra: Any) -> httpx.Response:
    return httpx.Response(status, json={"reason": reason, **extra})


def fcm_error(status: int, rpc_status: str, error_code: str | None, **kw: Any) -> httpx.Response:
    details = (
        [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": error_code}]
        if error_code
        else []
    )
    body = {"error": {"code": status, "message": "m", "status": rpc_status, "details": details}}
    return httpx.Response(status, json=body, **kw)


@pytest.fixture
async def apns(clock: ManualClock, ec_pem: bytes, apns_script: Script) -> AsyncIterator[ApnsClient]:
    client = ApnsClient(
        APNS_URL,
        "TEAM123456",
        "KEY1234567",
        ec_pem,
        None,
        clock,
        transport=httpx.MockTransport(apns_handler(apns_script)),
    )
    yield client
    await client.aclose()


@pytest.fixture
async def fcm(
    clock: ManualClock, service_account: Path, fcm_script: Script, token_session: requests.Session
) -> AsyncIterator[FcmClient]:
    client = FcmClient(
        FCM_URL,
        service_account,
        None,
        clock,
        transport=httpx.MockTransport(fcm_handler(fcm_script)),
        session=token_session,
    )
    yield client
    await client.aclose()


@pytest.fixture
def events() -> list[SenderEvent]:
    return []


@pytest.fixture(params=["sqlite", "postgres"])
def open_any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], Store]]:
    """Opens the store under test, SQLite then PostgreSQL (a fresh database per test); every
    call opens another handle on the same database, as a restart or a second instance would."""
    database = (
        str(tmp_path / "sender.db")
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    opened: list[Store] = []

    def open_store() -> Store:
        opened.append(sender.open_store(database))
        return opened[-1]

    yield open_store
    for store in opened:
        store.close()


@pytest.fixture
def any_store(open_any_store: Callable[[], Store]) -> Store:
    """One handle on the store under test (SQLite, then PostgreSQL)."""
    return open_any_store()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    store = SqliteStore(tmp_path / "sender.db")
    yield store
    store.close()


@pytest.fixture
async def service(
    store: SqliteStore,
    apns: ApnsClient,
    fcm: FcmClient,
    clock: ManualClock,
    events: list[SenderEvent],
) -> AsyncIterator[SenderService]:
    service = SenderService(
        store,
        apns,
        fcm,
        clock,
        events.append,
        retry=RetryPolicy(max_attempts=3, base_delay=1.0, jitter=0.0),
    )
    await service.start()
    yield service
    await service.stop()


@pytest.fixture
async def client(service: SenderService) -> AsyncIterator[httpx.AsyncClient]:
    """The sender's HTTP API over ``service`` (each module's own ``service`` when it has one),
    through httpx's ASGI transport; API key ``api-secret``, app key ``app-secret``."""
    app = sender.create_app(service, api_key="api-secret", app_key="app-secret")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sender") as client:
        yield client
