"""The control API's timeline: sequence numbers, cursors, the kinds a client can wait on."""

from __future__ import annotations

from simulator import DEFAULT_APP_ID


async def test_every_event_carries_its_seq(control, pushsim):
    """/timeline gives each event a seq, and since=N keeps those recorded after event N."""
    pushsim.add_android("seq-phone")
    pushsim.phone("seq-phone").install(DEFAULT_APP_ID, user_id="sue")
    await pushsim.settle()
    events = (await control.get("/timeline")).json()
    seqs = [event["seq"] for event in events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs) and seqs[0] >= 1
    later = (await control.get("/timeline", params={"since": seqs[1]})).json()
    assert [event["seq"] for event in later] == seqs[2:]


async def test_waiting_after_the_first_notification_finds_the_second(control, pushsim):
    """The documented recipe: wait with since=<seq of the first> returns the second, not the first."""
    phone = pushsim.add_iphone("kim-iphone")
    phone.install(DEFAULT_APP_ID, user_id="kim")
    wait = {"kind": "NotificationDisplayed", "phone": "kim-iphone", "timeout": 5}
    await pushsim.notify("kim", title="first")
    first = (await control.get("/timeline/wait", params=wait)).json()
    await pushsim.notify("kim", title="second")
    second = (await control.get("/timeline/wait", params={**wait, "since": first["seq"]})).json()
    assert (first["title"], second["title"]) == ("first", "second")
    assert second["seq"] > first["seq"]


async def test_since_latest_means_from_now_on(control, pushsim):
    """since=latest passes over every match recorded before the request."""
    pushsim.add_iphone("quiet-phone").install(DEFAULT_APP_ID, user_id="quinn")
    await pushsim.settle()
    params = {"kind": "AppInstalled", "since": "latest", "timeout": 0.05}
    assert (await control.get("/timeline", params=params)).json() == []
    assert (await control.get("/timeline/wait", params=params)).status_code == 408


async def test_a_bad_cursor_or_kind_is_a_clear_422(control):
    """since must be a seq or 'latest'; kind must be a known event kind, and the error lists them."""
    bad_since = await control.get("/timeline", params={"since": "-1"})
    assert bad_since.status_code == 422
    assert "since" in bad_since.json()["error"]["message"]
    typo = await control.get("/timeline/wait", params={"kind": "NotificationDisplay"})
    assert typo.status_code == 422
    assert "NotificationDisplayed" in typo.json()["error"]["message"]


async def test_the_openapi_schema_lists_the_event_kinds(control):
    """The kind filter is an enum of every event kind, each described in the API's description."""
    schema = (await control.get("/openapi.json")).json()
    (kind,) = (
        p for p in schema["paths"]["/timeline/wait"]["get"]["parameters"] if p["name"] == "kind"
    )
    (kinds,) = (s["enum"] for s in kind["schema"]["anyOf"] if "enum" in s)
    wanted = {"NotificationDisplayed", "DataPushReceived", "TokenInvalidated", "PassAdded"}
    assert wanted <= set(kinds)
    assert (
        "- `DataPushReceived`: The app's code got a data (silent) push."
        in schema["info"]["description"]
    )
