"""Configuration: TOML, then environment variables; Apple and Google by default."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from sender.__main__ import main
from sender.config import ENVIRONMENT_VARIABLES, ConfigError, build_config, load_config
from sender.stores.sqlite import SqliteStore, StoreUnavailable

KEYS = {"PUSHSIM_SENDER_API_KEY": "k", "PUSHSIM_SENDER_APP_KEY": "a"}


def test_defaults_are_the_real_services() -> None:
    """Without settings the sender targets APNs sandbox/production hosts and fcm.googleapis.com."""
    config = build_config({}, KEYS)
    assert config.apns.environment == "sandbox" and config.apns.url is None
    assert config.fcm.url == "https://fcm.googleapis.com"
    assert not config.apns.enabled and not config.fcm.enabled


def test_environment_wins_over_the_file(tmp_path: Path) -> None:
    """A variable overrides the same setting from the TOML file, with its type converted."""
    path = tmp_path / "sender.toml"
    path.write_text(
        '[sender]\nport = 9000\napi_key = "file"\napp_key = "a"\n[retry]\njitter = 0.1\n'
    )
    config = load_config(
        path, {"PUSHSIM_SENDER_PORT": "9100", "PUSHSIM_SENDER_RETRY_JITTER": "0.2"}
    )
    assert (config.port, config.api_key, config.retry.jitter) == (9100, "file", 0.2)


def test_fcm_account_falls_back_to_google_application_credentials() -> None:
    """FCM_SERVICE_ACCOUNT_PATH wins; GOOGLE_APPLICATION_CREDENTIALS is used when it is unset."""
    fallback = build_config({}, {**KEYS, "GOOGLE_APPLICATION_CREDENTIALS": "/g.json"})
    assert fallback.fcm.service_account_path == "/g.json" and fallback.fcm.enabled
    both = build_config(
        {}, {**KEYS, "GOOGLE_APPLICATION_CREDENTIALS": "/g.json", "FCM_SERVICE_ACCOUNT_PATH": "/f"}
    )
    assert both.fcm.service_account_path == "/f"


@pytest.mark.parametrize(
    ("raw", "environ"),
    [
        ({}, {}),  # no keys
        ({"sender": {"nope": 1}}, KEYS),
        ({"nowhere": {}}, KEYS),
        ({}, {**KEYS, "PUSHSIM_SENDER_PORT": "eighty"}),
        ({}, {**KEYS, "APNS_ENVIRONMENT": "staging"}),
    ],
)
def test_bad_configuration_is_refused(raw: dict[str, object], environ: dict[str, str]) -> None:
    """Missing keys, unknown settings or sections, and wrong values raise ConfigError."""
    with pytest.raises(ConfigError):
        build_config(raw, environ)


def test_help_lists_every_variable(capsys: pytest.CaptureFixture[str]) -> None:
    """``pushsim-sender --help`` explains the configuration, naming every variable."""
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert all(variable in text for variable in ENVIRONMENT_VARIABLES)


def test_check_prints_the_configuration(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--check`` validates and prints the effective settings without serving."""
    for name, value in KEYS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("APNS_ENVIRONMENT", "production")
    assert main(["--check", "--port", "0"]) == 0
    text = capsys.readouterr().out
    assert "https://api.push.apple.com" in text and "http://127.0.0.1:0" in text


def test_missing_keys_exit_with_status_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without API and app keys the entry point refuses to start (exit status 2)."""
    for name in KEYS:
        monkeypatch.delenv(name, raising=False)
    assert main(["--check"]) == 2
    assert "API key" in capsys.readouterr().err


def test_check_names_a_missing_database_directory(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """``--check`` fails (status 1) on a database whose directory does not exist, naming it;
    opening the store fails at once with the same words."""
    for name, value in KEYS.items():
        monkeypatch.setenv(name, value)
    database = tmp_path / "missing" / "sender.sqlite3"
    assert main(["--check", "--database", str(database)]) == 1
    assert f"{database.parent} does not exist" in capsys.readouterr().err
    with pytest.raises(StoreUnavailable, match="does not exist"):
        SqliteStore(database)
    assert not database.parent.exists()


def test_a_locked_database_fails_fast_with_what_to_do(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A database another process holds locked: ``--check`` and opening both fail within a
    second, saying it is locked and what to do."""
    for name, value in KEYS.items():
        monkeypatch.setenv(name, value)
    database = tmp_path / "sender.sqlite3"
    SqliteStore(database).close()
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        began = time.monotonic()
        assert main(["--check", "--database", str(database)]) == 1
        assert "is locked by another process" in capsys.readouterr().err
        with pytest.raises(StoreUnavailable, match="locked"):
            SqliteStore(database)
        assert time.monotonic() - began < 3.0
    finally:
        holder.close()
