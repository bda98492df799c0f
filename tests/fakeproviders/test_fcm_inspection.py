"""The fake FCM's request log (inspection)."""

from __future__ import annotations

from fakeproviders.fcm.inspection import LoggedRequest, RequestLog


def entry(at: float, status: int, **fields: object) -> LoggedRequest:
    return LoggedRequest(
        at=at,
        method="POST",
        path="/x",
        http_version="2",
        status=status,
        **fields,  # type: ignore[arg-type]
    )


def test_query_filters_by_token_topic_status_and_time() -> None:
    """query() keeps the entries matching every filter given."""
    log = RequestLog()
    log.append(entry(1.0, 200, kind="send", token="a"))
    log.append(entry(2.0, 404, kind="send", token="a", reason="UNREGISTERED"))
    log.append(entry(3.0, 200, kind="send", topic="news"))
    assert [e.at for e in log.query(token="a")] == [1.0, 2.0]
    assert [e.at for e in log.query(status=200)] == [1.0, 3.0]
    assert [e.at for e in log.query(topic="news")] == [3.0]
    assert [e.at for e in log.query(reason="UNREGISTERED")] == [2.0]
    assert [e.at for e in log.query(since=2.0, kind="send")] == [2.0, 3.0]
    assert log.count(token="a", status=404) == 1


def test_clear_empties_the_log() -> None:
    """clear() forgets everything."""
    log = RequestLog()
    log.append(entry(1.0, 200))
    log.clear()
    assert (len(log), list(log)) == (0, [])


def test_log_keeps_the_newest_entries_up_to_its_size() -> None:
    """A full log drops its oldest entries first."""
    log = RequestLog(maxlen=2)
    for at in (1.0, 2.0, 3.0):
        log.append(entry(at, 200))
    assert [e.at for e in log] == [2.0, 3.0]
    assert log[-1].at == 3.0
