"""Wiring Apple Wallet passes into a simulation: the Pass Type ID certificate, the sender's
certificate client for pass pushes, and the phones' HTTP.

reference/wallet.md §4: pass pushes "work only in the production environment", so the pass type
is a topic of the production fake APNs, Wallet registers production tokens, and the sender pushes
there with the Pass Type ID certificate (TLS client auth).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import ssl
import zipfile
from collections.abc import Callable
from typing import Any

import httpx
from cryptography import x509

from devices.wallet import HttpRequest, HttpResponse, WalletRetry, WalletSetup
from fakeproviders.apns import FakeApns
from fakeproviders.apns.passes import PassTypeCertificate, issue_pass_type_certificate
from fakeproviders.ca import LocalCA
from sender import ApnsClient
from sender.cards import ApplePasses
from sender.pkpass import PassSigner, build_pkpass
from simulator.clock import VirtualClock

#: The demo loyalty programme's pass type identifier.
DEFAULT_PASS_TYPE_ID = "pass.com.example.loyalty"


class PhoneHttpLink:
    """The phones' HTTP: each request runs on the event loop and its answer is handed back."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client
        self._pending: set[asyncio.Task[None]] = set()

    def __call__(self, request: HttpRequest, then: Callable[[HttpResponse], None]) -> None:
        task = asyncio.get_running_loop().create_task(self._run(request, then))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def drain(self) -> None:
        """Wait until every request made so far (and those their answers made) is answered."""
        while self._pending:
            await asyncio.gather(*list(self._pending))

    async def _run(self, request: HttpRequest, then: Callable[[HttpResponse], None]) -> None:
        try:
            response = await self._client.request(
                request.method, request.url, headers=dict(request.headers), content=request.body
            )
            reply = HttpResponse(
                response.status_code,
                {k.lower(): v for k, v in response.headers.items()},
                response.content,
            )
        except httpx.HTTPError as exc:
            reply = HttpResponse(0, error=f"{type(exc).__name__}: {exc}")
        then(reply)


class AppleWalletCredentials:
    """The Pass Type ID certificate of the simulation's loyalty programme, and what trusts it."""

    def __init__(
        self, ca: LocalCA, *, team_id: str, pass_type_id: str = DEFAULT_PASS_TYPE_ID
    ) -> None:
        self.ca = ca
        self.pass_type_id = pass_type_id
        self.certificate: PassTypeCertificate = issue_pass_type_certificate(
            ca, pass_type_id, team_id
        )
        self.signer = PassSigner.load(
            self.certificate.cert_path, self.certificate.key_path, self.certificate.wwdr_path
        )
        self.root = x509.load_pem_x509_certificate(ca.cert_path.read_bytes())
        self.wwdr = x509.load_pem_x509_certificate(self.certificate.wwdr_path.read_bytes())

    def server_context(self) -> ssl.SSLContext:
        """A fake APNs server context that verifies pass certificates' chains. The WWDR-like
        intermediate is trusted as an anchor of its own too: a CA made before roots allowed an
        intermediate below them (path length 0) still verifies the chain."""
        context = self.ca.server_ssl_context(alpn=("h2",))
        context.load_verify_locations(cafile=str(self.certificate.wwdr_path))
        context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
        return context


class AppleWallet:
    """Passes in a running simulation; ``start`` and ``stop`` with it."""

    def __init__(
        self, credentials: AppleWalletCredentials, *, retry: WalletRetry | None = None
    ) -> None:
        """``retry``: when the phones' Wallet tries a failed web-service call again."""
        self.credentials = credentials
        self.pass_type_id = credentials.pass_type_id
        self.retry = retry or WalletRetry()
        self.client: ApnsClient | None = None
        self.http: PhoneHttpLink | None = None
        self._http_client: httpx.AsyncClient | None = None
        self._stranger: PassSigner | None = None
        self._clock: VirtualClock | None = None
        self._timers: set[asyncio.Task[None]] = set()

    async def start(self, production: FakeApns, *, clock: VirtualClock) -> None:
        """The sender's certificate client for the production fake APNs, and the phones'
        HTTP client."""
        credentials = self.credentials
        self._clock = clock
        self.client = ApnsClient(
            url=production.url,
            team_id=None,
            key_id=None,
            private_key_pem=None,
            ca_file=str(credentials.ca.cert_path),
            clock=clock,
            client_cert=credentials.certificate.chain_path,
            client_key=credentials.certificate.key_path,
        )
        # The local CA only (webServiceURL may be https on the fakes' certificate), and no
        # proxy from the environment: httpx's defaults would load certifi's bundle per client.
        self._http_client = httpx.AsyncClient(
            timeout=30.0, verify=credentials.ca.client_ssl_context(), trust_env=False
        )
        self.http = PhoneHttpLink(self._http_client)

    def passes(self, sender_url: str) -> ApplePasses:
        """The sender's pass settings once its URL is known."""
        return ApplePasses(
            signer=self.credentials.signer,
            web_service_url=f"{sender_url}/passkit",
            apns=self.client,
        )

    def phone_setup(self) -> WalletSetup:
        """What each simulated iPhone's Wallet is given. HTTP web services are allowed: the
        sender listens on plain HTTP, as a developer phone allows (wallet.md §5)."""
        if self.http is None:
            raise RuntimeError("start the Apple Wallet wiring first")
        return WalletSetup(
            http=self.http,
            trusted_roots=(self.credentials.root,),
            intermediates=(self.credentials.wwdr,),
            allow_http=True,
            later=self.later,
            retry=self.retry,
        )

    def later(self, seconds: float, callback: Callable[[], None]) -> None:
        """The phones' timer: ``callback`` once ``seconds`` of the simulation's clock passed
        (at once when the clock is advanced past it)."""
        clock = self._clock
        if clock is None:
            raise RuntimeError("start the Apple Wallet wiring first")

        async def wait() -> None:
            await clock.sleep(seconds)
            callback()

        task = asyncio.get_running_loop().create_task(wait())
        self._timers.add(task)
        task.add_done_callback(self._timers.discard)

    def endpoints(self, apns_url: str) -> dict[str, Any]:
        """What an issuer of passes needs (``endpoints.json``): the Pass Type ID certificate,
        its key, the WWDR intermediate, and where pass pushes go (production)."""
        certificate = self.credentials.certificate
        return {
            "pass_type_id": self.pass_type_id,
            "team_id": self.credentials.signer.team_id,
            "cert_path": str(certificate.cert_path),
            "key_path": str(certificate.key_path),
            "wwdr_path": str(certificate.wwdr_path),
            "apns_url": apns_url,
        }

    def signed_by_stranger(self, pkpass: bytes) -> bytes:
        """The same pass signed by a Pass Type ID certificate with the same pass type and team,
        issued by a CA no phone trusts (kept in the state directory): what a forger could make."""
        if self._stranger is None:
            signer = self.credentials.signer
            stranger_ca = LocalCA.load_or_create(self.credentials.ca.state_dir / "untrusted-ca")
            issued = issue_pass_type_certificate(stranger_ca, signer.pass_type_id, signer.team_id)
            self._stranger = PassSigner.load(issued.cert_path, issued.key_path, issued.wwdr_path)
        with zipfile.ZipFile(io.BytesIO(pkpass)) as archive:
            files = {
                name: archive.read(name)
                for name in archive.namelist()
                if name not in ("manifest.json", "signature")
            }
        pass_json = json.loads(files.pop("pass.json"))
        return build_pkpass(pass_json, self._stranger, files)

    async def drain(self) -> None:
        if self.http is not None:
            await self.http.drain()

    async def stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
        with contextlib.suppress(Exception):
            await self.drain()
        if self.client is not None:
            await self.client.aclose()
        if self._http_client is not None:
            await self._http_client.aclose()
