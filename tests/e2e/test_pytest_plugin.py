from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


def test_the_pushsim_fixture_is_available_to_user_test_suites(pytester: pytest.Pytester):
    """A user's suite gets a running simulation from the installed plugin, with no conftest."""
    pytester.makeini("[pytest]\nasyncio_mode = auto\n")
    pytester.makepyfile(
        """
        from simulator import DEFAULT_APP_ID

        async def test_welcome(pushsim):
            phone = pushsim.add_android()
            phone.install(DEFAULT_APP_ID, user_id="zoe")
            nid = await pushsim.notify("zoe", title="Welcome")
            shown = await pushsim.wait_for("NotificationDisplayed", notification=nid)
            assert shown.title == "Welcome"
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
