from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

USER_TESTS = """
from simulator import DEFAULT_APP_ID

async def test_welcome(pushsim):
    phone = pushsim.add_android()
    phone.install(DEFAULT_APP_ID, user_id="zoe")
    nid = await pushsim.notify("zoe", title="Welcome")
    shown = await pushsim.wait_for("NotificationDisplayed", notification=nid)
    assert shown.title == "Welcome"

async def test_factories(pushsim, pushsim_phone, pushsim_app):
    iphone = pushsim_phone("ios", user_id="ann")
    android = pushsim_phone("android", apps=())
    pushsim_app(android, user_id="ann", answer="deny")
    nid = await pushsim.notify("ann", title="Two phones")
    await pushsim.expect("NotificationDisplayed", notification=nid, phone=iphone.phone_id)
    await pushsim.expect("NotificationSuppressed", notification=nid, phone=android.phone_id)
"""


def test_the_pushsim_fixtures_are_available_to_user_test_suites(pytester: pytest.Pytester):
    """A user's suite gets a running simulation and factories from the plugin, with no conftest."""
    pytester.makeini("[pytest]\nasyncio_mode = auto\n")
    pytester.makepyfile(USER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_the_fixtures_are_safe_under_xdist(pytester: pytest.Pytester):
    """Two xdist workers run simulations side by side, each with its own ports and state."""
    pytester.makeini("[pytest]\nasyncio_mode = auto\n")
    pytester.makepyfile(USER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")
    result.assert_outcomes(passed=2)


def test_a_failed_expectation_shows_the_notification_timeline(pytester: pytest.Pytester):
    """When an expected event never comes, the failure shows what happened to that notification."""
    pytester.makeini("[pytest]\nasyncio_mode = auto\n")
    pytester.makepyfile(
        """
        async def test_expects_a_display(pushsim, pushsim_phone):
            pushsim_phone("ios", user_id="lee", answer="deny")
            nid = await pushsim.notify("lee", title="Hidden")
            await pushsim.expect("NotificationDisplayed", notification=nid, timeout=1)
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*no NotificationDisplayed*", "*timeline of notification*", "*NotificationSuppressed*"]
    )


def test_pushsim_config_wires_the_fixture_to_the_declared_apps_and_hooks(pytester: pytest.Pytester):
    """--pushsim-config: the fixture serves the file's apps and sends through its send hook."""
    pytester.makeini("[pytest]\nasyncio_mode = auto\n")
    pytester.makefile(
        ".toml",
        pushsim='[apps]\nids = ["com.acme.shop"]\n[hooks.send]\ncommand = ["true"]\n',
    )
    pytester.makepyfile(
        """
        async def test_wired(pushsim):
            assert pushsim.app_ids == ("com.acme.shop",)
            assert not pushsim.uses_pushsim_sender
            assert await pushsim.notify("anyone", title="through the hook")
        """
    )
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--pushsim-config=pushsim.toml"
    )
    result.assert_outcomes(passed=1)
