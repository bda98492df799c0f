"""`pushsim audit`'s waits for a backend other than pushsim's sender: flags, the [audit] section
of the config file, and their errors (simulator/cli.py, simulator/config.py)."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from simulator import cli
from simulator.audit import cli as audit_cli
from simulator.config import AuditSection, ConfigError, parse_config


@pytest.fixture
def audited(monkeypatch) -> dict[str, Any]:
    """What `pushsim audit` hands to the audit run (nothing is started)."""
    seen: dict[str, Any] = {}

    async def fake_audit(checks: Any, **kwargs: Any) -> int:
        seen.update(kwargs)
        return 0

    monkeypatch.setattr(audit_cli, "audit", fake_audit)
    return seen


def test_the_waits_default_to_two_seconds_then_four_tenths(audited):
    """Without flags or file: 2 s for the first push, 0.4 s of quiet, 15 s to be shown."""
    assert cli.main(["audit", "--only", "APNS-PUSHTYPE"]) == 0
    assert (audited["first"], audited["quiet"], audited["patience"]) == (2.0, 0.4, 15.0)


def test_the_config_file_sets_the_waits_and_flags_win(audited, tmp_path):
    """[audit] first_push_wait / quiet_wait / show_wait set the waits; a flag wins over its key."""
    path = tmp_path / "audit.toml"
    path.write_text("[audit]\nfirst_push_wait = 5\nquiet_wait = 1.5\nshow_wait = 30\n")
    assert cli.main(["audit", "--config", str(path), "--quiet-wait", "0.8"]) == 0
    assert (audited["first"], audited["quiet"], audited["patience"]) == (5.0, 0.8, 30.0)


@pytest.mark.parametrize("value", ["0", "-1", "301", "nan", "inf", "soon"])
@pytest.mark.parametrize("flag", ["--first-push-wait", "--quiet-wait", "--show-wait"])
def test_a_wait_flag_refuses_what_is_not_a_usable_number_of_seconds(flag, value, capsys):
    """Each wait is more than 0 and at most 300 seconds; anything else exits 2 naming the flag."""
    with pytest.raises(SystemExit) as exit_:
        cli.build_parser().parse_args(["audit", flag, value])
    assert exit_.value.code == 2
    error = capsys.readouterr().err
    assert f"argument {flag}: " in error
    assert ("not a number of seconds" if value == "soon" else "not more than 0") in error


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("quiet_wait = 0", "[audit] quiet_wait: 0 is not more than 0 and at most 300 seconds"),
        ("first_push_wait = 1e9", "[audit] first_push_wait: 1000000000.0 is not more than 0"),
        ("show_wait = 'long'", "[audit] show_wait: expected a number, got str 'long'"),
        ("quiet = 1", "unknown key [audit] quiet; keys are first_push_wait, quiet_wait, show_wait"),
    ],
)
def test_a_bad_audit_key_names_the_key_and_what_is_allowed(text, expected):
    """The [audit] section's errors follow the file's rules: the key, the value, the range."""
    with pytest.raises(ConfigError) as error:
        parse_config(tomllib.loads(f"[audit]\n{text}"), source="f")
    assert expected in str(error.value)


def test_a_bad_wait_in_the_file_exits_2_before_anything_runs(audited, tmp_path, capsys):
    """`pushsim audit --config` with a wrong [audit] value says so and runs nothing."""
    path = tmp_path / "audit.toml"
    path.write_text("[audit]\nquiet_wait = -1\n")
    assert cli.main(["audit", "--config", str(path)]) == 2
    assert "[audit] quiet_wait: -1 is not more than 0" in capsys.readouterr().err
    assert audited == {}
    assert AuditSection().quiet_wait == 0.4
