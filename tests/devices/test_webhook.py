"""The generic webhook adapter's sans-IO part: rendering and validating templates."""

from __future__ import annotations

import pytest

from devices.app_server import (
    EngagementReport,
    TokenReport,
    WebhookRequest,
    WebhookTemplate,
    WebhookTemplateError,
)

TOKEN = TokenReport(phone_id="p1", app_id="com.x", user_id="alice", platform="ios", token="ab/cd")
OPENED = EngagementReport(
    phone_id="p1",
    app_id="com.x",
    token="ab/cd",
    notification_id="n1",
    event="opened",
    user_id="alice",
    platform="ios",
)


def test_default_body_carries_every_field():
    """With no body given the JSON holds every placeholder's value."""
    request = WebhookTemplate(url="https://api.test/hooks").render(TOKEN)
    assert request == WebhookRequest(
        method="POST",
        url="https://api.test/hooks",
        json={
            "token": "ab/cd",
            "user_id": "alice",
            "platform": "ios",
            "app_id": "com.x",
            "phone_id": "p1",
            "notification_id": None,
            "event": "token",
        },
    )


def test_placeholders_render_inside_nested_json():
    """Placeholders are filled anywhere in the body; text around them is kept."""
    template = WebhookTemplate(
        url="https://api.test/e",
        body={"device": {"id": "{token}", "os": "{platform}"}, "tags": ["user:{user_id}", 1]},
    )
    assert template.render(OPENED).json == {
        "device": {"id": "ab/cd", "os": "ios"},
        "tags": ["user:alice", 1],
    }


def test_url_placeholders_are_percent_encoded():
    """A placeholder in the URL is encoded so a token cannot break the path."""
    template = WebhookTemplate(url="https://api.test/devices/{token}", method="put")
    request = template.render(TOKEN)
    assert (request.method, request.url) == ("PUT", "https://api.test/devices/ab%2Fcd")


def test_doubled_braces_are_literal():
    """{{ and }} render as literal braces."""
    template = WebhookTemplate(url="https://api.test/", body={"t": "{{raw}} {event}"})
    assert template.render(OPENED).json == {"t": "{raw} opened"}


def test_events_filter_which_messages_are_sent():
    """A template limited to some events renders nothing for the others."""
    template = WebhookTemplate(url="https://api.test/", events=frozenset({"opened"}))
    assert template.render(TOKEN) is None
    assert template.render(OPENED) is not None


def test_headers_are_rendered():
    """Header values may use placeholders too."""
    template = WebhookTemplate(url="https://api.test/", headers={"X-User": "{user_id}"})
    assert template.render(OPENED).headers == {"X-User": "alice"}


def test_unknown_placeholder_is_refused_with_the_valid_names():
    """A typo in a placeholder fails at load time and lists the names that exist."""
    with pytest.raises(WebhookTemplateError, match=r"unknown placeholder \{tokn\}.*\{token\}"):
        WebhookTemplate(url="https://api.test/", body={"t": "{tokn}"})


def test_unbalanced_brace_is_refused():
    """A lone brace is an error that tells how to write a literal one."""
    with pytest.raises(WebhookTemplateError, match="for a brace"):
        WebhookTemplate(url="https://api.test/", body="{token")


def test_format_specs_are_refused():
    """Only plain {name} placeholders are allowed."""
    with pytest.raises(WebhookTemplateError, match="plainly"):
        WebhookTemplate(url="https://api.test/", body="{token!r}")


def test_url_must_be_http_with_a_host():
    """A URL without http(s) and a host is refused."""
    with pytest.raises(WebhookTemplateError, match="http"):
        WebhookTemplate(url="ftp://api.test/")


def test_body_must_be_json():
    """Values that are not JSON are refused with their path."""
    with pytest.raises(WebhookTemplateError, match=r"body\.x: set is not JSON"):
        WebhookTemplate(url="https://api.test/", body={"x": {1}})


def test_method_must_be_known():
    """An HTTP method outside the usual ones is refused."""
    with pytest.raises(WebhookTemplateError, match="method"):
        WebhookTemplate(url="https://api.test/", method="BREW")


def test_from_config_rejects_unknown_keys():
    """A config object with unknown keys is refused, naming them."""
    with pytest.raises(WebhookTemplateError, match=r"unknown keys \['uri'\]"):
        WebhookTemplate.from_config({"uri": "https://api.test/"})


def test_from_config_builds_a_template():
    """A parsed JSON config becomes a working template."""
    template = WebhookTemplate.from_config(
        {
            "url": "https://api.test/{event}",
            "events": ["opened"],
            "body": {"n": "{notification_id}"},
        }
    )
    assert template.render(OPENED).json == {"n": "n1"}
    assert template.render(OPENED).url == "https://api.test/opened"


def test_unknown_event_names_are_refused():
    """events may only name token, received, opened, dismissed."""
    with pytest.raises(WebhookTemplateError, match="events"):
        WebhookTemplate(url="https://api.test/", events=frozenset({"clicked"}))
