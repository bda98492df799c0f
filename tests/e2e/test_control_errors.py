"""The control API's errors: one shape for every refusal, and ids that can be read back."""

from __future__ import annotations


async def test_every_refusal_has_the_documented_shape(control):
    """Routing, method and validation errors are {"error": {"code", "message"}} too."""
    refusals = [
        ("GET", "/no/such/route", None, 404),
        ("PUT", "/phones", None, 405),
        ("POST", "/phones", b"{not json", 422),
        ("POST", "/phones", b'{"platform": "windows"}', 422),
        ("GET", "/timeline?limit=many", None, 422),
        # Past int()'s 4300-digit limit, a cursor once answered 500.
        ("GET", "/timeline/wait?since=" + "9" * 5000, None, 422),
        # A 1xx as the final answer breaks the HTTP/2 stream instead of refusing the push.
        ("POST", "/faults", b'{"provider": "apns", "status": 100}', 422),
        # JSON's 1e400 parses as infinity: refused, not stored and answered back as null.
        ("POST", "/faults", b'{"provider": "apns", "status": 503, "starts_at": 1e400}', 422),
    ]
    for method, path, body, status in refusals:
        answer = await control.request(
            method, path, content=body, headers={"content-type": "application/json"}
        )
        assert answer.status_code == status, (method, path)
        (error,) = answer.json().values()
        assert list(answer.json()) == ["error"], answer.json()
        assert error["code"] == status and error["message"], answer.json()


async def test_a_phone_id_that_cannot_be_read_back_is_refused(control):
    """A phone id must survive a URL path: no "/", control characters, spaces or dot segments."""
    for phone_id in ["a/b", "a\x00b", "a\nb", "..", ".hidden", "a b", "a%2Fb", "é"]:
        answer = await control.post("/phones", json={"platform": "android", "phone_id": phone_id})
        assert answer.status_code == 422, phone_id
        assert "cannot be used in a URL path" in answer.json()["error"]["message"]
    assert (await control.get("/phones")).json() == []


async def test_an_accepted_phone_id_round_trips(control):
    """An id the API accepts can be read and deleted through its own URL."""
    phone_id = "Kim_phone-2.0~b"
    assert (
        await control.post("/phones", json={"platform": "ios", "phone_id": phone_id})
    ).is_success
    assert (await control.get(f"/phones/{phone_id}")).json()["phone_id"] == phone_id
    assert (await control.delete(f"/phones/{phone_id}")).status_code == 204


async def test_app_and_user_ids_that_cannot_round_trip_are_refused(control):
    """An app id is a bundle id or package name; a user id has no control characters."""
    await control.post("/phones", json={"platform": "ios", "phone_id": "ids"})
    for field, value in [
        ("app_id", "com.example/app"),
        ("app_id", "com..example"),
        ("user_id", "kim\x00"),
        ("user_id", "kim\nbob"),
    ]:
        body = {"app_id": "com.example.app", "user_id": "kim", field: value}
        answer = await control.post("/phones/ids/apps", json=body)
        assert answer.status_code == 422, value
        assert answer.json()["error"]["message"].startswith(f"{field}: ")


async def test_a_notification_the_sender_refuses_keeps_the_senders_4xx(control):
    """POST /notifications with a field the sender refuses is the sender's 422 with its reason,
    not a 502 (the request is wrong, not the sender)."""
    for body, words in (
        ({"user_id": "kim", "title": "x", "ttl": "soon"}, "ttl"),
        ({"user_id": "kim", "title": "x\x00"}, "NUL"),
    ):
        answer = await control.post("/notifications", json=body)
        assert answer.status_code == 422, answer.text
        assert words in answer.json()["error"]["message"]
