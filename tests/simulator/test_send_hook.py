"""The send hook: how the harness asks a user's backend to notify (simulator/backend.py)."""

from __future__ import annotations

import json
import sys

import httpx
import pytest

from simulator.backend import BackendCommand, HookError, SendHook

NOTIFICATION = {
    "notification_id": "n1",
    "target": "user",
    "user_id": "al ice",
    "title": "Hi",
    "kind": "alert",
    "data": {"notification_id": "n1"},
}


async def test_http_template_renders_placeholders_and_keeps_json_types():
    """{user_id} in the URL is percent-encoded; a lone {data} stays an object; the default
    body is the whole notification."""
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(202)

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
        hook = SendHook(
            url="http://backend.test/users/{user_id}/notify",
            body={"text": "{title} for {user_id}", "extra": "{data}"},
            headers={"x-id": "{notification_id}"},
        )
        await hook.send(NOTIFICATION, client)
        await SendHook(url="http://backend.test/notify").send(NOTIFICATION, client)
    first, default = seen
    assert first.url.raw_path == b"/users/al%20ice/notify"
    assert json.loads(first.content) == {
        "text": "Hi for al ice",
        "extra": {"notification_id": "n1"},
    }
    assert first.headers["x-id"] == "n1"
    assert json.loads(default.content) == NOTIFICATION


async def test_a_refusal_is_a_hook_error_with_the_answer():
    """A non-2xx answer raises HookError quoting the status and body."""
    transport = httpx.MockTransport(lambda request: httpx.Response(413, text="too big"))
    async with httpx.AsyncClient(transport=transport) as client:
        with pytest.raises(HookError, match="HTTP 413: too big"):
            await SendHook(url="http://backend.test/notify").send(NOTIFICATION, client)


async def test_a_command_gets_arguments_and_the_notification_on_stdin(tmp_path):
    """A command line: placeholders in its arguments, the notification as JSON on stdin; a
    non-zero exit is a HookError with its stderr."""
    out = tmp_path / "out.json"
    script = (
        "import json, sys; data = json.load(sys.stdin); "
        f"open({str(out)!r}, 'w').write(json.dumps([sys.argv[1], data['title']]))"
    )
    async with httpx.AsyncClient() as client:
        await SendHook(command=[sys.executable, "-c", script, "{user_id}"]).send(
            NOTIFICATION, client
        )
        assert json.loads(out.read_text()) == ["al ice", "Hi"]
        failing = SendHook(command=[sys.executable, "-c", "import sys; sys.exit('nope')"])
        with pytest.raises(HookError, match="exited 1: nope"):
            await failing.send(NOTIFICATION, client)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "give either url or command"),
        ({"url": "http://x/{nope}"}, "unknown placeholder {nope}"),
        ({"url": "ftp://x"}, "needs http:// or https://"),
        ({"command": ""}, "command is empty"),
        ({"url": "http://x/", "method": "FETCH"}, "method 'FETCH'"),
        ({"command": '"unclosed'}, "No closing quotation"),
        ({"url": "http://x/", "headers": ["x-id"]}, "headers: must be an object"),
        ({"url": "http://x/", "timeout": "abc"}, "timeout: 'abc' is not a number"),
        ({"url": "http://x/", "timeout": -1}, "timeout: -1 is not a number"),
        ({"url": "http://x/", "timeout": float("inf")}, "timeout: inf is not a number"),
        ({"url": "http://x/", "timeout": True}, "timeout: True is not a number"),
    ],
)
def test_a_malformed_hook_is_refused_at_once(fields, message):
    """Bad templates fail when the hook is made, saying what is wrong."""
    with pytest.raises(HookError, match=message):
        SendHook(**fields)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"command": "'unclosed"}, "No closing quotation"),
        ({"command": []}, "command is empty"),
        ({"command": "true", "startup_timeout": 0}, "startup_timeout: 0 is not a number"),
    ],
)
def test_a_malformed_backend_command_is_refused_at_once(fields, message):
    """A backend command that cannot be split, or an unusable startup timeout, fails when made."""
    with pytest.raises(HookError, match=message):
        BackendCommand(**fields)
