"""Topic management over HTTP (sans-IO): the Instance ID API and the v1 registrations API.

reference/fcm.md §4.1: ``POST iid/v1:batchAdd|batchRemove`` (``{"to": "/topics/x",
"registration_tokens": [...]}`` → ``{"results": [{} | {"error": CODE}]}``, ≤1000 tokens),
``POST iid/v1/{token}/rel/topics/{topic}``, ``GET iid/info/{token}?details=true``; whole-request
errors are ``{"error": "<ErrorCode>"}``. §4.2: ``projects/{p}/registrations/{token}/
topicSubscriptions`` create (409 ALREADY_EXISTS), delete (``allow_missing``), get, list.
The subscriptions themselves live in the registry, so the simulator sees the same state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from fakeproviders import strict_json
from fakeproviders.clock import Clock
from fakeproviders.fcm import errors
from fakeproviders.fcm.errors import ErrorResponse, FcmErrorCode, FieldViolation
from fakeproviders.fcm.oauth import OAuthEndpoint
from fakeproviders.fcm.registry import FcmRegistry, Registration, UnknownToken
from fakeproviders.fcm.reply import Reply
from fakeproviders.fcm.topics import InvalidTopic, TooManyTopics, is_valid_topic

#: reference/fcm.md §4.1: "1000 app instances per batch request".
MAX_BATCH_TOKENS = 1000
#: Page size bounds of ``topicSubscriptions.list`` [U: Google's usual 100 default, 1000 max].
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
_INVALID_TOKEN = "The registration token is not a valid FCM registration token"
_IID_JSON = "application/json; charset=UTF-8"
#: reference/fcm.md §4.1 lists these per-token errors; the whole-request ones use the same
#: google.rpc names [U exact strings]. An unknown instance's info answer is Google's text [S].
_NO_INFO = "No information found about this instance id."


class TopicManagement:
    """The topic endpoints of one project."""

    def __init__(
        self,
        *,
        clock: Clock,
        oauth_endpoint: OAuthEndpoint,
        registry: FcmRegistry,
        project_id: str,
        project_number: str,
        owns: Callable[[str], bool],
    ) -> None:
        self._clock = clock
        self._oauth = oauth_endpoint
        self._registry = registry
        self._project_id = project_id
        self._project_number = project_number
        self._owns = owns

    # -- Instance ID API (reference/fcm.md §4.1) ---------------------------------------------

    def iid_batch(self, operation: str, authorization: str | None, raw: bytes) -> Reply:
        """``POST /iid/v1:batchAdd`` or ``:batchRemove``."""
        if self._oauth.check_bearer(authorization).error() is not None:
            return _iid_error(401, "UNAUTHENTICATED")
        try:
            body = strict_json.loads(raw or b"{}")
        except ValueError:
            return _iid_error(400, "INVALID_ARGUMENT")
        to = body.get("to") if isinstance(body, dict) else None
        tokens = body.get("registration_tokens") if isinstance(body, dict) else None
        if (
            not isinstance(to, str)
            or not to.startswith("/topics/")
            or not is_valid_topic(to.removeprefix("/topics/"))
            or not isinstance(tokens, list)
            or not tokens
            or len(tokens) > MAX_BATCH_TOKENS
            or not all(isinstance(t, str) for t in tokens)
        ):
            return _iid_error(400, "INVALID_ARGUMENT", topic=to if isinstance(to, str) else None)
        topic = to.removeprefix("/topics/")
        results = [self._iid_change(operation == "batchAdd", t, topic) for t in tokens]
        return Reply.json(200, {"results": results}, _IID_JSON, topic=topic,
                          recipients=sum(1 for r in results if not r))  # fmt: skip

    def iid_rel(self, token: str, topic: str, authorization: str | None) -> Reply:
        """``POST /iid/v1/{token}/rel/topics/{topic}``: subscribe one token."""
        if self._oauth.check_bearer(authorization).error() is not None:
            return _iid_error(401, "UNAUTHENTICATED", token=token, topic=topic)
        if not is_valid_topic(topic):
            return _iid_error(400, "INVALID_ARGUMENT", token=token, topic=topic)
        result = self._iid_change(True, token, topic)
        if not result:
            return Reply.json(200, {}, _IID_JSON, token=token, topic=topic)
        status = 404 if result["error"] == "NOT_FOUND" else 400
        return _iid_error(status, result["error"], token=token, topic=topic)

    def iid_info(self, token: str, details: bool, authorization: str | None) -> Reply:
        """``GET /iid/info/{token}[?details=true]``: the instance and, with details, its topics."""
        if self._oauth.check_bearer(authorization).error() is not None:
            return _iid_error(401, "UNAUTHENTICATED", token=token)
        registration = self._registry.lookup(token)
        if registration is None or not registration.active:
            return _iid_error(404, _NO_INFO, token=token)
        if registration.project_id != self._project_id:
            return _iid_error(403, "PERMISSION_DENIED", token=token)
        info: dict[str, Any] = {
            "application": registration.app_id,
            "authorizedEntity": self._project_number,
            "applicationVersion": "1",  # [U] the simulated apps have no version
            "platform": registration.platform.upper(),
        }
        if details:
            topics = self._registry.topics_of(token)
            info["rel"] = {"topics": {t: {"addDate": _date(at)} for t, at in topics.items()}}
        return Reply.json(200, info, _IID_JSON, token=token)

    def _iid_change(self, add: bool, token: str, topic: str) -> dict[str, str]:
        if not self._registry.is_well_formed(token):
            return {"error": "INVALID_ARGUMENT"}
        registration = self._registry.lookup(token)
        if registration is None or not registration.active:
            return {"error": "NOT_FOUND"}  # token deleted / app uninstalled (§4.1)
        if registration.project_id != self._project_id:
            return {"error": "INVALID_ARGUMENT"}  # "token not valid for the sender ID" (§4.1)
        try:
            if add:
                self._registry.subscribe(token, topic)
            else:
                self._registry.unsubscribe(token, topic)
        except TooManyTopics:
            return {"error": "TOO_MANY_TOPICS"}
        except UnknownToken:
            return {"error": "NOT_FOUND"}
        return {}

    # -- v1 registrations API (reference/fcm.md §4.2) ----------------------------------------

    def create(
        self,
        project: str,
        registration: str,
        query: Mapping[str, str],
        authorization: str | None,
        raw: bytes,
    ) -> Reply:
        """``POST .../registrations/{r}/topicSubscriptions?topic_name=``."""
        log = {"token": registration}
        problem = self._v1_checks(project, registration, authorization)
        if problem is not None:
            return Reply.error(problem, **log)
        topic = query.get("topic_name") or query.get("topicName") or _body_topic(raw)
        if topic is None or not is_valid_topic(topic):
            text = f"Invalid topic name: {topic or ''}"  # [U] exact text
            error = errors.fcm_error(
                FcmErrorCode.INVALID_ARGUMENT, text, violations=[FieldViolation("topic_name", text)]
            )
            return Reply.error(error, topic=topic, **log)
        try:
            created = self._registry.subscribe(self._resolve(registration), topic)
        except TooManyTopics:
            text = "Too many topics subscribed for this registration."  # [U] status and text
            body = errors.status_body(400, text, "FAILED_PRECONDITION")
            return Reply.error(ErrorResponse(400, body, "TOO_MANY_TOPICS"), topic=topic, **log)
        except (InvalidTopic, UnknownToken):  # checked above; kept for races with unregister
            return Reply.error(errors.fcm_error(FcmErrorCode.UNREGISTERED), topic=topic, **log)
        if not created:
            body = errors.status_body(409, "Requested entity already exists", "ALREADY_EXISTS")
            return Reply.error(ErrorResponse(409, body, "ALREADY_EXISTS"), topic=topic, **log)
        return Reply.json(200, self._resource(project, registration, topic), topic=topic, **log)

    def delete(
        self,
        project: str,
        registration: str,
        topic: str,
        query: Mapping[str, str],
        authorization: str | None,
    ) -> Reply:
        """``DELETE .../topicSubscriptions/{topic}[?allow_missing=true]``."""
        log = {"token": registration, "topic": topic}
        problem = self._v1_checks(project, registration, authorization)
        if problem is not None:
            return Reply.error(problem, **log)
        allow_missing = (query.get("allow_missing") or query.get("allowMissing")) == "true"
        removed = self._registry.unsubscribe(self._resolve(registration), topic)
        if not removed and not allow_missing:
            return Reply.error(_not_found(), **log)
        return Reply.json(200, {}, **log)

    def get(self, project: str, registration: str, topic: str, authorization: str | None) -> Reply:
        """``GET .../topicSubscriptions/{topic}``."""
        log = {"token": registration, "topic": topic}
        problem = self._v1_checks(project, registration, authorization)
        if problem is not None:
            return Reply.error(problem, **log)
        if topic not in self._registry.topics_of(self._resolve(registration)):
            return Reply.error(_not_found(), **log)
        return Reply.json(200, self._resource(project, registration, topic), **log)

    def list(
        self, project: str, registration: str, query: Mapping[str, str], authorization: str | None
    ) -> Reply:
        """``GET .../topicSubscriptions?pageSize=&pageToken=``."""
        log = {"token": registration}
        problem = self._v1_checks(project, registration, authorization)
        if problem is not None:
            return Reply.error(problem, **log)
        try:
            size = int(query.get("pageSize") or query.get("page_size") or DEFAULT_PAGE_SIZE)
            start = int(query.get("pageToken") or query.get("page_token") or 0)
        except ValueError:
            return Reply.error(errors.bad_request("Invalid page token or size."), **log)
        size = max(1, min(size, MAX_PAGE_SIZE))
        topics = list(self._registry.topics_of(self._resolve(registration)))
        page = topics[start : start + size]
        body: dict[str, Any] = {}
        if page:  # proto3 JSON leaves empty lists out
            body["topicSubscriptions"] = [self._resource(project, registration, t) for t in page]
        if start + size < len(topics):
            body["nextPageToken"] = str(start + size)
        return Reply.json(200, body, **log)

    def _resolve(self, registration: str) -> str:
        """``{registration}`` is an FID or a token (reference/fcm.md §4.2)."""
        return self._registry.token_for_fid(registration) or registration

    def _v1_checks(
        self, project: str, token: str, authorization: str | None
    ) -> ErrorResponse | None:
        problem = self._oauth.check_bearer(authorization).error()
        if problem is not None:
            return problem
        if not self._owns(project):
            return errors.project_permission_denied(
                project, "cloudmessaging.topicSubscriptions.create"
            )
        token = self._resolve(token)
        if not self._registry.is_well_formed(token):
            return errors.fcm_error(FcmErrorCode.INVALID_ARGUMENT, _INVALID_TOKEN)
        registration: Registration | None = self._registry.lookup(token)
        if registration is None or not registration.active:
            return errors.fcm_error(FcmErrorCode.UNREGISTERED)
        if registration.project_id != self._project_id:
            return errors.fcm_error(FcmErrorCode.SENDER_ID_MISMATCH)
        return None

    def _resource(self, project: str, registration: str, topic: str) -> dict[str, str]:
        at = self._registry.topics_of(self._resolve(registration)).get(topic, self._clock.now())
        return {
            "name": f"projects/{project}/registrations/{registration}/topicSubscriptions/{topic}",
            "topicName": topic,
            "createTime": datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }


def _iid_error(status: int, code: str, **log: str | None) -> Reply:
    return Reply.json(status, {"error": code}, _IID_JSON, reason=code, **log)


def _not_found() -> ErrorResponse:
    body = errors.status_body(404, "Requested entity was not found.", "NOT_FOUND")
    return ErrorResponse(404, body, "NOT_FOUND")


def _body_topic(raw: bytes) -> str | None:
    try:
        body = strict_json.loads(raw) if raw.strip() else {}
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    topic = body.get("topicName") or body.get("topic_name")
    return topic if isinstance(topic, str) else None


def _date(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d")
