"""The sender's configuration: a TOML file, then environment variables over it.

Real Apple and Google endpoints are the defaults; ``pushsim env`` prints the variables that point
a sender at the fakes instead. Every setting, its TOML key and its variable:

====================================  =========================  ==================================
variable                              TOML ([section] key)       meaning (default)
====================================  =========================  ==================================
PUSHSIM_SENDER_HOST                   [sender] host              listen address (127.0.0.1)
PUSHSIM_SENDER_PORT                   [sender] port              listen port, 0 = any (8080)
PUSHSIM_SENDER_DATABASE               [sender] database          SQLite file, or postgresql://
                                                                 URL (sender.sqlite3)
PUSHSIM_SENDER_API_KEY                [sender] api_key           backends' bearer key (required)
PUSHSIM_SENDER_APP_KEY                [sender] app_key           apps' X-App-Key (required)
PUSHSIM_SENDER_CA_FILE                [sender] ca_file           CA bundle for both providers
                                                                 (system roots)
PUSHSIM_SENDER_LOG_LEVEL              [sender] log_level         INFO
PUSHSIM_SENDER_MAX_IN_FLIGHT          [sender] max_in_flight     pushes held at once (2000)
PUSHSIM_SENDER_INSTANCE               [sender] instance          this instance's name in claims
                                                                 (host-pid-random)
PUSHSIM_SENDER_LEASE                  [sender] lease             seconds before a silent
                                                                 instance's work is taken (30)
PUSHSIM_SENDER_POLL_INTERVAL          [sender] poll_interval     seconds between looks for work
                                                                 when idle (0.5)
APNS_ENVIRONMENT                      [apns] environment         sandbox | production (sandbox)
APNS_URL                              [apns] url                 Apple's host for the environment
APNS_TEAM_ID, APNS_KEY_ID             [apns] team_id, key_id     token auth ids
APNS_KEY_PATH                         [apns] key_path            token auth .p8 key
APNS_CERT_PATH, APNS_CERT_KEY_PATH    [apns] cert_path, ...      certificate auth instead
APNS_CA_FILE                          [apns] ca_file             overrides the sender's CA file
APNS_MAX_CONNECTIONS                  [apns] max_connections     HTTP/2 connections (2)
FCM_URL                               [fcm] url                  https://fcm.googleapis.com
FCM_SERVICE_ACCOUNT_PATH              [fcm] service_account_path service-account JSON (its
                                                                 token_uri is honoured); falls
                                                                 back to GOOGLE_APPLICATION_
                                                                 CREDENTIALS
FCM_CA_FILE                           [fcm] ca_file              overrides the sender's CA file
FCM_MAX_CONCURRENCY                   [fcm] max_concurrency      messages in flight (200)
PUSHSIM_SENDER_RETRY_MAX_ATTEMPTS     [retry] max_attempts       sends per push in all (5)
PUSHSIM_SENDER_RETRY_BASE_DELAY       [retry] base_delay         first backoff, seconds (1)
PUSHSIM_SENDER_RETRY_MAX_DELAY        [retry] max_delay          backoff cap, seconds (60)
PUSHSIM_SENDER_RETRY_JITTER           [retry] jitter             random share of a backoff (0.5)
APPLE_PASS_CERT_PATH                  [passes] cert_path         Pass Type ID certificate (PEM):
                                                                 Apple Wallet loyalty cards
APPLE_PASS_KEY_PATH                   [passes] key_path          its private key (PEM)
APPLE_PASS_WWDR_PATH                  [passes] wwdr_path         the WWDR intermediate (PEM)
APPLE_PASS_WEB_SERVICE_URL            [passes] web_service_url   this sender's URL + /passkit, as
                                                                 phones reach it (the listen URL
                                                                 + /passkit)
APPLE_PASS_APNS_URL                   [passes] apns_url          https://api.push.apple.com
APPLE_PASS_ORGANIZATION               [passes] organization_name shown on cards (pushsim Rewards)
GOOGLE_WALLET_ISSUER_ID               [google_wallet] issuer_id  Google Wallet loyalty cards (the
                                                                 FCM service account is used)
GOOGLE_WALLET_URL                     [google_wallet] url        the Wallet API's host
====================================  =========================  ==================================

APNs is enabled when token-auth ids and key, or a certificate, are set; FCM when a service
account is. A sender with neither still accepts devices and notifications (and fails the pushes).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import SenderError

FCM_DEFAULT_URL = "https://fcm.googleapis.com"


class ConfigError(SenderError):
    """The configuration is missing something or holds a wrong value."""


@dataclass(frozen=True, kw_only=True)
class ApnsConfig:
    environment: str = "sandbox"
    url: str | None = None
    team_id: str | None = None
    key_id: str | None = None
    key_path: str | None = None
    cert_path: str | None = None
    cert_key_path: str | None = None
    ca_file: str | None = None
    max_connections: int = 2

    @property
    def enabled(self) -> bool:
        return bool(self.cert_path or (self.team_id and self.key_id and self.key_path))


@dataclass(frozen=True, kw_only=True)
class FcmConfig:
    url: str = FCM_DEFAULT_URL
    service_account_path: str | None = None
    ca_file: str | None = None
    max_concurrency: int = 200

    @property
    def enabled(self) -> bool:
        return bool(self.service_account_path)


@dataclass(frozen=True, kw_only=True)
class RetryConfig:
    max_attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 60.0
    jitter: float = 0.5


@dataclass(frozen=True, kw_only=True)
class PassesConfig:
    """Apple Wallet loyalty cards: the Pass Type ID certificate and where phones and APNs are."""

    cert_path: str | None = None
    key_path: str | None = None
    wwdr_path: str | None = None
    web_service_url: str | None = None
    apns_url: str = "https://api.push.apple.com"
    organization_name: str = "pushsim Rewards"

    @property
    def enabled(self) -> bool:
        return bool(self.cert_path)


@dataclass(frozen=True, kw_only=True)
class GoogleWalletConfig:
    """Google Wallet loyalty cards: the issuer (the FCM service account signs in)."""

    issuer_id: str | None = None
    url: str = "https://walletobjects.googleapis.com"

    @property
    def enabled(self) -> bool:
        return bool(self.issuer_id)


@dataclass(frozen=True, kw_only=True)
class SenderConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    database: str = "sender.sqlite3"
    api_key: str = ""
    app_key: str = ""
    ca_file: str | None = None
    log_level: str = "INFO"
    max_in_flight: int = 2000
    instance: str | None = None
    lease: float = 30.0
    poll_interval: float = 0.5
    apns: ApnsConfig = field(default_factory=ApnsConfig)
    fcm: FcmConfig = field(default_factory=FcmConfig)
    retry: RetryConfig = field(default_factory=RetryConfig)
    passes: PassesConfig = field(default_factory=PassesConfig)
    google_wallet: GoogleWalletConfig = field(default_factory=GoogleWalletConfig)


# (section, key, variable, type)
_SETTINGS: tuple[tuple[str, str, str, type], ...] = (
    ("sender", "host", "PUSHSIM_SENDER_HOST", str),
    ("sender", "port", "PUSHSIM_SENDER_PORT", int),
    ("sender", "database", "PUSHSIM_SENDER_DATABASE", str),
    ("sender", "api_key", "PUSHSIM_SENDER_API_KEY", str),
    ("sender", "app_key", "PUSHSIM_SENDER_APP_KEY", str),
    ("sender", "ca_file", "PUSHSIM_SENDER_CA_FILE", str),
    ("sender", "log_level", "PUSHSIM_SENDER_LOG_LEVEL", str),
    ("sender", "max_in_flight", "PUSHSIM_SENDER_MAX_IN_FLIGHT", int),
    ("sender", "instance", "PUSHSIM_SENDER_INSTANCE", str),
    ("sender", "lease", "PUSHSIM_SENDER_LEASE", float),
    ("sender", "poll_interval", "PUSHSIM_SENDER_POLL_INTERVAL", float),
    ("apns", "environment", "APNS_ENVIRONMENT", str),
    ("apns", "url", "APNS_URL", str),
    ("apns", "team_id", "APNS_TEAM_ID", str),
    ("apns", "key_id", "APNS_KEY_ID", str),
    ("apns", "key_path", "APNS_KEY_PATH", str),
    ("apns", "cert_path", "APNS_CERT_PATH", str),
    ("apns", "cert_key_path", "APNS_CERT_KEY_PATH", str),
    ("apns", "ca_file", "APNS_CA_FILE", str),
    ("apns", "max_connections", "APNS_MAX_CONNECTIONS", int),
    ("fcm", "url", "FCM_URL", str),
    ("fcm", "service_account_path", "GOOGLE_APPLICATION_CREDENTIALS", str),
    ("fcm", "service_account_path", "FCM_SERVICE_ACCOUNT_PATH", str),
    ("fcm", "ca_file", "FCM_CA_FILE", str),
    ("fcm", "max_concurrency", "FCM_MAX_CONCURRENCY", int),
    ("retry", "max_attempts", "PUSHSIM_SENDER_RETRY_MAX_ATTEMPTS", int),
    ("retry", "base_delay", "PUSHSIM_SENDER_RETRY_BASE_DELAY", float),
    ("retry", "max_delay", "PUSHSIM_SENDER_RETRY_MAX_DELAY", float),
    ("retry", "jitter", "PUSHSIM_SENDER_RETRY_JITTER", float),
    ("passes", "cert_path", "APPLE_PASS_CERT_PATH", str),
    ("passes", "key_path", "APPLE_PASS_KEY_PATH", str),
    ("passes", "wwdr_path", "APPLE_PASS_WWDR_PATH", str),
    ("passes", "web_service_url", "APPLE_PASS_WEB_SERVICE_URL", str),
    ("passes", "apns_url", "APPLE_PASS_APNS_URL", str),
    ("passes", "organization_name", "APPLE_PASS_ORGANIZATION", str),
    ("google_wallet", "issuer_id", "GOOGLE_WALLET_ISSUER_ID", str),
    ("google_wallet", "url", "GOOGLE_WALLET_URL", str),
)

ENVIRONMENT_VARIABLES: tuple[str, ...] = tuple(dict.fromkeys(v for _, _, v, _ in _SETTINGS))
"""Every variable the sender reads, for ``--help`` and ``pushsim env``."""


def load_config(path: str | Path | None, environ: Mapping[str, str]) -> SenderConfig:
    """Read ``path`` (TOML, optional), apply ``environ`` over it, and check the result."""
    raw: dict[str, Any] = {}
    if path is not None:
        try:
            raw = tomllib.loads(Path(path).read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read {path}: {exc}") from exc
    return build_config(raw, environ)


def build_config(raw: Mapping[str, Any], environ: Mapping[str, str]) -> SenderConfig:
    """The configuration from parsed TOML ``raw`` with ``environ`` applied over it."""
    known = {s for s, _, _, _ in _SETTINGS}
    sections: dict[str, dict[str, Any]] = {name: {} for name in known}
    for name, values in raw.items():
        if name not in known or not isinstance(values, dict):
            raise ConfigError(f"unknown TOML section [{name}]")
        sections[name].update(values)
    types = {(s, k): t for s, k, _, t in _SETTINGS}
    for section, values in sections.items():
        for key, value in values.items():
            if (section, key) not in types:
                raise ConfigError(f"unknown setting [{section}] {key}")
            values[key] = _convert(value, types[section, key], f"[{section}] {key}")
    for section, key, variable, kind in _SETTINGS:
        if environ.get(variable, "") != "":
            sections[section][key] = _convert(environ[variable], kind, variable)
    top = sections.pop("sender")
    config = SenderConfig(
        **top,
        apns=ApnsConfig(**sections["apns"]),
        fcm=FcmConfig(**sections["fcm"]),
        retry=RetryConfig(**sections["retry"]),
        passes=PassesConfig(**sections["passes"]),
        google_wallet=GoogleWalletConfig(**sections["google_wallet"]),
    )
    _check(config)
    return config


def _convert(value: Any, kind: type, where: str) -> Any:
    if isinstance(value, kind) and not isinstance(value, bool):
        return value
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: expected {kind.__name__}, got {value!r}") from None


def _check(config: SenderConfig) -> None:
    if not config.api_key or not config.app_key:
        raise ConfigError("set an API key and an app key (PUSHSIM_SENDER_API_KEY, _APP_KEY)")
    passes = config.passes
    if passes.enabled and not (passes.key_path and passes.wwdr_path):
        raise ConfigError(
            "Apple passes need APPLE_PASS_KEY_PATH and APPLE_PASS_WWDR_PATH besides the certificate"
        )
    if config.google_wallet.enabled and not config.fcm.service_account_path:
        raise ConfigError("Google Wallet cards need the service account (FCM_SERVICE_ACCOUNT_PATH)")
    if config.apns.environment not in ("sandbox", "production"):
        raise ConfigError("APNS_ENVIRONMENT must be sandbox or production")
    if not 0 <= config.port <= 65535:
        raise ConfigError(f"port {config.port} is out of range")
    if config.max_in_flight < 1:
        raise ConfigError("max_in_flight must be at least 1")
    if config.lease <= 0 or config.poll_interval <= 0:
        raise ConfigError("lease and poll_interval must be positive (seconds)")
    if config.retry.max_attempts < 1 or not 0 <= config.retry.jitter <= 1:
        raise ConfigError("retry: max_attempts ≥ 1 and 0 ≤ jitter ≤ 1")
