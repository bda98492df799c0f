"""`pushsim up` as a separate process, driven only over HTTP, as a non-Python CI would."""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

APP = "com.example.app"


@contextlib.contextmanager
def _running_up(run_dir: Path, ca, *args: str) -> Iterator[tuple[dict, subprocess.Popen]]:
    """`pushsim up --no-demo` in its own process; yields its endpoints.json and the process."""
    run_dir.mkdir()
    for name in ("ca.pem", "ca-key.pem"):  # reuse the session's CA: faster, and still real
        (run_dir / name).write_bytes((ca.state_dir / name).read_bytes())
    process = subprocess.Popen(
        [sys.executable, "-m", "simulator", "up", "--no-demo", "--state-dir", str(run_dir), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    endpoints_file = run_dir / "endpoints.json"
    try:
        # Reading its first line blocks until it has printed "pushsim is up".
        first = process.stdout.readline()
        assert "pushsim is up" in first, first + process.stderr.read()
        yield json.loads(endpoints_file.read_text()), process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=20)
    assert not endpoints_file.exists(), "endpoints.json must go away with the service"


@pytest.fixture(scope="module")
def _shared_up(tmp_path_factory, ca) -> Iterator[tuple[dict, subprocess.Popen]]:
    with _running_up(tmp_path_factory.mktemp("up") / "state", ca) as running:
        yield running


@pytest.fixture
def pushsim_up(_shared_up) -> tuple[dict, subprocess.Popen]:
    """The module's `pushsim up`, reset to empty through the control API before each test."""
    endpoints, process = _shared_up
    assert httpx.post(endpoints["control"]["url"] + "/reset", timeout=30).status_code == 204
    return endpoints, process


def test_full_flow_through_the_control_api_only(pushsim_up):
    """Add phones, install, send through the sender, see it shown, tap it, see the open recorded."""
    endpoints, _ = pushsim_up
    control = httpx.Client(base_url=endpoints["control"]["url"], timeout=30)
    sender = httpx.Client(
        base_url=endpoints["sender"]["url"],
        headers={"Authorization": f"Bearer {endpoints['sender']['api_key']}"},
        timeout=30,
    )
    for platform in ("ios", "android"):
        response = control.post("/phones", json={"platform": platform, "phone_id": f"p-{platform}"})
        assert response.status_code == 201, response.text
        response = control.post(
            f"/phones/p-{platform}/apps", json={"app_id": APP, "user_id": "kim", "answer": "allow"}
        )
        assert response.status_code == 201, response.text

    response = sender.post(
        "/v1/notifications", json={"user_id": "kim", "kind": "alert", "title": "Hi"}
    )
    assert response.status_code == 202, response.text
    notification_id = response.json()["id"]

    for platform in ("ios", "android"):
        shown = control.get(
            "/timeline/wait",
            params={
                "kind": "NotificationDisplayed",
                "phone": f"p-{platform}",
                "notification": notification_id,
            },
        )
        assert shown.status_code == 200, shown.text
        assert shown.json()["title"] == "Hi"

    tray = control.get("/phones/p-ios/notifications").json()
    assert [entry["title"] for entry in tray] == ["Hi"]
    tapped = control.post(f"/phones/p-ios/notifications/{tray[0]['entry_id']}/tap")
    assert tapped.status_code == 200, tapped.text
    opened = control.get(
        "/timeline/wait", params={"kind": "EngagementRecorded", "notification": notification_id}
    )
    assert opened.json()["event"] == "opened"


def test_bad_input_gets_clear_errors(pushsim_up):
    """Unknown phones are 404, bad bodies 422, conflicts 409, all as {"error": {code, message}}."""
    endpoints, _ = pushsim_up
    control = httpx.Client(base_url=endpoints["control"]["url"], timeout=30)
    missing = control.get("/phones/nope")
    assert missing.status_code == 404
    assert missing.json() == {"error": {"code": 404, "message": "no phone 'nope'"}}
    bad = control.post("/phones", json={"platform": "windows"})
    assert bad.status_code == 422 and "platform" in bad.json()["error"]["message"]
    extra = control.post("/phones", json={"platform": "ios", "colour": "red"})
    assert extra.status_code == 422
    control.post("/phones", json={"platform": "ios", "phone_id": "twice"})
    again = control.post("/phones", json={"platform": "ios", "phone_id": "twice"})
    assert again.status_code == 409
    not_installed = control.delete(f"/phones/twice/apps/{APP}")
    assert not_installed.status_code == 404
    backwards = control.post("/clock/advance", json={"seconds": -5})
    assert backwards.status_code == 422


def pushsim_env(state: Path, *, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run `pushsim env --state-dir state` as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "simulator", "env", "--state-dir", str(state)],
        capture_output=True,
        text=True,
        timeout=60,
        check=check,
    )


def test_env_prints_exports_for_the_running_service(pushsim_up, tmp_path):
    """`pushsim env` prints export lines naming the running fakes, key and CA bundle."""
    endpoints, _ = pushsim_up
    state = Path(endpoints["ca_cert"]).parent
    exports = dict(
        line.removeprefix("export ").split("=", 1)
        for line in pushsim_env(state).stdout.splitlines()
    )
    assert exports["APNS_URL"] == endpoints["apns"]["url"]
    assert exports["APNS_PRODUCTION_URL"] == endpoints["apns_production"]["url"]
    assert endpoints["apns_production"]["url"] != endpoints["apns"]["url"]
    assert exports["FCM_URL"] == endpoints["fcm"]["url"]
    assert exports["NODE_EXTRA_CA_CERTS"] == endpoints["ca_cert"]
    assert Path(exports["SSL_CERT_FILE"]).read_text().count("BEGIN CERTIFICATE") >= 1


def test_pushsim_sender_accepts_the_env_as_its_configuration(pushsim_up, tmp_path):
    """`pushsim-sender --check` configured only by `pushsim env` points at the fakes."""
    endpoints, _ = pushsim_up
    state = Path(endpoints["ca_cert"]).parent
    exports = pushsim_env(state).stdout
    script = f'{exports}\nexport PUSHSIM_SENDER_APP_KEY=app-key\nexec "$@"'
    result = subprocess.run(
        [
            "sh",
            "-c",
            script,
            "sh",
            sys.executable,
            "-m",
            "sender",
            "--check",
            "--database",
            str(tmp_path / "sender.db"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert endpoints["apns"]["url"] in result.stdout
    assert endpoints["fcm"]["url"] in result.stdout


def test_env_without_a_running_service_says_so(tmp_path):
    """`pushsim env` on a state dir with no running service exits 1 with a clear message."""
    result = pushsim_env(tmp_path, check=False)
    assert result.returncode == 1
    assert "is `pushsim up` running" in result.stderr


def test_sigterm_stops_cleanly(tmp_path, ca):
    """SIGTERM ends `pushsim up` with status 0, a goodbye line, and endpoints.json removed."""
    with _running_up(tmp_path / "state", ca) as (_, process):
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=20)
    assert process.returncode == 0
    assert out.rstrip().endswith("pushsim stopped.")


def test_reset_empties_the_simulation_on_the_same_ports(pushsim_up):
    """POST /reset removes phones and events and keeps every URL working."""
    endpoints, _ = pushsim_up
    control = httpx.Client(base_url=endpoints["control"]["url"], timeout=30)
    control.post("/phones", json={"platform": "android", "phone_id": "gone"})
    assert control.post("/reset").status_code == 204
    assert control.get("/phones").json() == []
    assert control.get("/timeline").json() == []
    assert control.get("/endpoints").json()["apns"]["url"] == endpoints["apns"]["url"]


def test_time_starts_now(pushsim_up):
    """The control API's clock reads about the real time at start."""
    endpoints, _ = pushsim_up
    now = httpx.get(endpoints["control"]["url"] + "/clock").json()["now"]
    assert abs(now - time.time()) < 60
    assert os.path.exists(endpoints["trust_bundle"])


def test_faults_injected_through_the_api_reach_the_sender(pushsim_up):
    """A fault posted to /faults answers the next matching send, then is used up."""
    endpoints, _ = pushsim_up
    control = httpx.Client(base_url=endpoints["control"]["url"], timeout=30)
    sender = httpx.Client(
        base_url=endpoints["sender"]["url"],
        headers={"Authorization": f"Bearer {endpoints['sender']['api_key']}"},
        timeout=30,
    )
    control.post("/phones", json={"platform": "ios", "phone_id": "faulty"})
    control.post("/phones/faulty/apps", json={"app_id": APP, "user_id": "flo"})
    fault = control.post(
        "/faults",
        json={"provider": "apns", "status": 500, "reason": "InternalServerError", "times": 1},
    )
    assert fault.status_code == 201, fault.text
    assert [f["fault_id"] for f in control.get("/faults").json()] == [fault.json()["fault_id"]]
    bad = control.post("/faults", json={"provider": "apns", "times": 0})
    assert bad.status_code == 422
    stale = {"provider": "fcm", "status": 404, "invalidated_at": 1.0}  # a 410 timestamp only
    assert control.post("/faults", json=stale).status_code == 422

    nid = sender.post("/v1/notifications", json={"user_id": "flo", "title": "x"}).json()["id"]
    retried = control.get(
        "/timeline/wait", params={"kind": "PushRetried", "notification": nid}
    ).json()
    assert (retried["type"], retried["status"], retried["reason"]) == (
        "PushRetried",
        500,
        "InternalServerError",
    )
    control.get("/timeline/wait", params={"kind": "NotificationDisplayed", "notification": nid})
    assert control.get("/faults").json() == []
    logged = control.get("/providers/apns/requests").json()
    assert any(entry.get("status") == 500 for entry in logged)


def test_config_file_declares_apps_and_ids_and_flags_win(tmp_path, ca):
    """`--config` serves the apps and APNs ids it declares, `--app` wins over it, and installing
    an app that is not served is refused with a message saying how to declare it."""
    config = tmp_path / "pushsim.toml"
    config.write_text(
        '[apps]\nids = ["com.acme.shop"]\n[apns]\nteam_id = "ACME123456"\n'
        '[fcm]\nproject_id = "acme-test"\n'
    )
    args = ("--config", str(config), "--app", "com.acme.shop", "--app", "com.acme.admin")
    with _running_up(tmp_path / "state", ca, *args) as (endpoints, _):
        assert endpoints["apns"]["topics"] == ["com.acme.shop", "com.acme.admin"]
        assert endpoints["apns"]["team_id"] == "ACME123456"
        assert endpoints["fcm"]["project_id"] == "acme-test"
        control = httpx.Client(base_url=endpoints["control"]["url"], timeout=30)
        control.post("/phones", json={"platform": "ios", "phone_id": "p1"})
        refused = control.post(
            "/phones/p1/apps", json={"app_id": APP, "user_id": "u", "answer": "allow"}
        )
        assert refused.status_code == 409
        assert "pushsim up --app com.example.app" in refused.json()["error"]["message"]
        served = {"app_id": "com.acme.admin", "user_id": "u", "answer": "allow"}
        assert control.post("/phones/p1/apps", json=served).status_code == 201


def test_a_bad_config_file_stops_up_with_the_key_named(tmp_path):
    """A wrong value in the file: exit 2 and a message naming the file and key."""
    config = tmp_path / "pushsim.toml"
    config.write_text("[ports]\napns = 'x'\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "simulator",
            "up",
            "--config",
            str(config),
            "--state-dir",
            str(tmp_path / "s"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert f"{config}: [ports] apns: expected an integer" in result.stderr


@contextlib.contextmanager
def _backend() -> Iterator[tuple[str, list[dict[str, object]]]]:
    """A backend on loopback that answers 200 to any POST and keeps the JSON bodies."""
    sent: list[dict[str, object]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            sent.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", sent
    finally:
        server.shutdown()
        server.server_close()


def test_hooks_are_read_and_set_through_the_control_api(pushsim_up):
    """PUT /hooks points apps and notify at another backend; POST /notifications goes through
    the send hook; a malformed hook is a 422, and so is a command hook (any local process
    reaches the control API); [] and null go back to pushsim's sender."""
    endpoints, _ = pushsim_up
    control = httpx.Client(base_url=endpoints["control"]["url"], timeout=30)
    assert control.get("/hooks").json() == {"webhooks": [], "send": None}
    with _backend() as (backend_url, sent):
        hooks = {
            "webhooks": [{"url": "http://127.0.0.1:9/devices", "events": ["token"]}],
            "send": {"url": f"{backend_url}/send"},
        }
        answer = control.put("/hooks", json=hooks).json()
        assert answer["webhooks"][0]["url"] == "http://127.0.0.1:9/devices"
        assert answer["send"]["url"] == f"{backend_url}/send"
        response = control.post("/notifications", json={"user_id": "u", "title": "x"})
        assert response.status_code == 202, response.text
        assert sent and sent[0]["user_id"] == "u" and sent[0]["title"] == "x"
    refused = control.put("/hooks", json={"send": {"command": ["touch", "/tmp/pwned"]}})
    assert refused.status_code == 422 and "--config" in refused.json()["error"]["message"]
    assert control.get("/hooks").json()["send"]["url"] == f"{backend_url}/send"  # unchanged
    control.post("/phones", json={"platform": "ios", "phone_id": "hooked"})
    control.post("/phones/hooked/apps", json={"app_id": APP, "user_id": "u", "answer": "allow"})
    failed = control.get("/timeline/wait", params={"kind": "AppServerCallFailed", "timeout": 10})
    assert failed.status_code == 200, failed.text  # the token went to the webhook, not the sender
    bad = control.put("/hooks", json={"send": {"url": "ftp://x"}})
    assert bad.status_code == 422 and "http://" in bad.json()["error"]["message"]
    for send, words in (
        ({"url": "http://127.0.0.1:9/", "headers": ["x"]}, "headers: must be an object"),
        ({"url": "http://127.0.0.1:9/", "timeout": "abc"}, "timeout: 'abc' is not a number"),
    ):
        bad = control.put("/hooks", json={"send": send})
        assert bad.status_code == 422 and words in bad.json()["error"]["message"], bad.text
    assert control.put("/hooks", json={}).json() == {"webhooks": [], "send": None}
