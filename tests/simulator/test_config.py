"""`pushsim up --config FILE`: the TOML loader (simulator/config.py)."""

from __future__ import annotations

import pytest

from devices.app_server import WebhookTemplate
from simulator.config import ConfigError, UpConfig, load_config, parse_config


def write(tmp_path, text: str):
    path = tmp_path / "pushsim.toml"
    path.write_text(text)
    return path


def test_an_empty_file_is_the_defaults(tmp_path):
    """No keys: every section keeps its default."""
    config = load_config(write(tmp_path, ""))
    assert config == UpConfig()
    assert config.simulation_options()["app_ids"] == ("com.example.app",)


def test_every_section_reaches_the_simulation_options(tmp_path):
    """apps, team/key ids, the FCM project and webhooks become Simulation(...) arguments."""
    config = load_config(
        write(
            tmp_path,
            """
            [apps]
            ids = ["com.acme.shop", "com.acme.admin"]
            [apns]
            team_id = "ABCDE12345"
            key_id = "KEY1234567"
            [fcm]
            project_id = "acme-prod"
            [ports]
            apns = 8443
            [up]
            demo = false
            [[hooks.webhooks]]
            url = "http://127.0.0.1:9000/devices"
            events = ["token"]
            """,
        )
    )
    options = config.simulation_options()
    assert options["app_ids"] == ("com.acme.shop", "com.acme.admin")
    assert (options["team_id"], options["key_id"]) == ("ABCDE12345", "KEY1234567")
    assert options["project_id"] == "acme-prod"
    assert options["webhooks"] == (
        WebhookTemplate(url="http://127.0.0.1:9000/devices", events=frozenset({"token"})),
    )
    assert config.ports.apns == 8443 and config.ports.fcm == 0
    assert config.up.demo is False


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[apss]\nids = []", "unknown section [apss]; sections are [apps]"),
        ("[apps]\nid = ['x']", "unknown key [apps] id; keys are ids"),
        ("[ports]\napns = '8443'", "[ports] apns: expected an integer, got str '8443'"),
        ("[ports]\napns = true", "[ports] apns: expected an integer, got bool"),
        ("[up]\ndemo = 1", "[up] demo: expected true or false, got int 1"),
        ("[apps]\nids = 'com.x'", "[apps] ids: expected a list of text, got str"),
        ("[apps]\nids = []", "[apps] ids: list at least one app id"),
        ("[apps]\nids = ['com.x', 'my app']", "[apps] ids: 'my app' is not a bundle id"),
        ("[ports]\nfcm = 70000", "[ports] fcm: port out of range 0-65535: 70000"),
        ("[ports]\nsender = -1", "[ports] sender: port out of range 0-65535: -1"),
        ("[apns]\nteam_id = 'abc'", "[apns] team_id: 'abc' is not 10 uppercase letters or digits"),
        ("apps = 3", "apps must be a [apps] table"),
        ("[[hooks.webhooks]]\nurl = 'ftp://x'", "[[hooks.webhooks]] #1: url 'ftp://x': needs"),
    ],
)
def test_a_wrong_key_or_value_names_the_file_the_key_and_the_expected_type(
    tmp_path, text, expected
):
    """Errors say which file, which [section] key, and what was expected."""
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert str(error.value).startswith(f"{path}: ")
    assert expected in str(error.value)


def test_unreadable_or_malformed_files_are_config_errors(tmp_path):
    """A missing file and invalid TOML are ConfigErrors naming the file, not tracebacks."""
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[apps\n"))


def test_a_float_key_accepts_integers():
    """TOML writes 5 for 5.0; a number-typed key takes both (the rule for keys added later)."""
    from dataclasses import dataclass

    from simulator import config as module

    @dataclass(frozen=True, kw_only=True)
    class Probe:
        delay: float = 1.0

    assert module._section(Probe, {"delay": 5}, "probe", "f").delay == 5
    with pytest.raises(ConfigError, match="expected a number"):
        module._section(Probe, {"delay": "5"}, "probe", "f")


def test_parse_config_takes_already_parsed_tables():
    """The control API and tests can pass a dict instead of a file."""
    assert parse_config({"fcm": {"project_id": "p"}}).fcm.project_id == "p"


def test_apns_invalidation_delay_and_production_port(tmp_path):
    """[apns] invalidation_delay becomes ApnsOptions for both environments; [ports]
    apns_production is read; a negative delay names the key."""
    config = load_config(
        write(tmp_path, "[apns]\ninvalidation_delay = 0\n[ports]\napns_production = 8444\n")
    )
    assert config.simulation_options()["apns_options"].invalidation_delay == 0
    assert config.ports.apns_production == 8444
    assert "apns_options" not in UpConfig().simulation_options()
    with pytest.raises(ConfigError, match="invalidation_delay"):
        load_config(write(tmp_path, "[apns]\ninvalidation_delay = -1\n"))


def test_up_takes_the_invalidation_delay_flag():
    """pushsim up --apns-invalidation-delay takes seconds, refusing a negative or non-number."""
    from simulator.cli import build_parser

    args = build_parser().parse_args(["up", "--apns-invalidation-delay", "3600"])
    assert args.apns_invalidation_delay == 3600.0
    for bad in ("-1", "soon", "inf"):
        with pytest.raises(SystemExit):
            build_parser().parse_args(["up", "--apns-invalidation-delay", bad])


def test_fcm_uninstall_delay_from_the_file_and_the_flag(tmp_path):
    """[fcm] uninstall_delay and --fcm-uninstall-delay set FcmOptions; negatives are refused."""
    from simulator.cli import build_parser

    config = load_config(write(tmp_path, "[fcm]\nuninstall_delay = 60\n"))
    assert config.simulation_options()["fcm_options"].uninstall_delay == 60
    assert "fcm_options" not in UpConfig().simulation_options()
    with pytest.raises(ConfigError, match="uninstall_delay"):
        load_config(write(tmp_path, "[fcm]\nuninstall_delay = -1\n"))
    assert (
        build_parser().parse_args(["up", "--fcm-uninstall-delay", "60"]).fcm_uninstall_delay == 60
    )
    with pytest.raises(SystemExit):
        build_parser().parse_args(["up", "--fcm-uninstall-delay", "-1"])


def test_google_wallet_port(tmp_path):
    """[ports] google_wallet fixes the fake Google Wallet API's port (also --google-wallet-port)."""
    config = load_config(write(tmp_path, "[ports]\ngoogle_wallet = 8445\n"))
    assert config.ports.google_wallet == 8445


def test_up_takes_only_app_ids_the_control_api_can_install():
    """pushsim up --app refuses what [apps] ids and POST /phones/{id}/apps refuse."""
    from simulator.cli import build_parser

    args = build_parser().parse_args(["up", "--app", "com.acme.shop", "--app", "Acme_2"])
    assert args.apps == ["com.acme.shop", "Acme_2"]
    for bad in ("my app", "com..acme", "com/acme"):
        with pytest.raises(SystemExit):
            build_parser().parse_args(["up", "--app", bad])
