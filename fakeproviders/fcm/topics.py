"""Topic subscriptions of registration tokens (sans-IO, in memory; a shared store can replace it).

reference/fcm.md §4.1: an app instance can subscribe to at most 2000 topics; topics have no
subscriber limit; topic names match ``[a-zA-Z0-9-_.~%]{1,900}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from fakeproviders.fcm.conditions import TOPIC_PATTERN
from fakeproviders.fcm.errors import FakeFcmError

#: reference/fcm.md §4.1: "an app instance can subscribe to ≤2000 topics" (TOO_MANY_TOPICS).
MAX_TOPICS_PER_TOKEN = 2000


class TopicError(FakeFcmError):
    """A subscription change FCM refuses."""


class InvalidTopic(TopicError):
    """The topic name does not match ``[a-zA-Z0-9-_.~%]{1,900}``."""


class TooManyTopics(TopicError):
    """The token already has the maximum number of topics."""


def is_valid_topic(topic: str) -> bool:
    return TOPIC_PATTERN.fullmatch(topic) is not None


class TopicSubscriptions:
    """Which token is subscribed to which topic, and since when (clock seconds)."""

    def __init__(self, max_topics_per_token: int = MAX_TOPICS_PER_TOKEN) -> None:
        self.max_topics_per_token = max_topics_per_token
        self._by_token: dict[str, dict[str, float]] = {}
        self._by_topic: dict[str, dict[str, None]] = {}  # insertion-ordered sets

    def add(self, token: str, topic: str, now: float) -> bool:
        """Subscribe; True if new, False if it already was. Raises :class:`TopicError`."""
        if not is_valid_topic(topic):
            raise InvalidTopic(topic)
        topics = self._by_token.get(token)
        if topics is not None and topic in topics:
            return False
        if topics is not None and len(topics) >= self.max_topics_per_token:
            raise TooManyTopics(token)
        self._by_token.setdefault(token, {})[topic] = now
        self._by_topic.setdefault(topic, {})[token] = None
        return True

    def remove(self, token: str, topic: str) -> bool:
        """Unsubscribe; True if it was subscribed."""
        topics = self._by_token.get(token)
        if topics is None or topic not in topics:
            return False
        del topics[topic]
        if not topics:
            del self._by_token[token]
        members = self._by_topic[topic]
        del members[token]
        if not members:
            del self._by_topic[topic]
        return True

    def topics_of(self, token: str) -> dict[str, float]:
        """The token's topics, each with the time it was subscribed."""
        return dict(self._by_token.get(token, {}))

    def is_subscribed(self, token: str, topic: str) -> bool:
        return topic in self._by_token.get(token, {})

    def subscribers(self, topic: str) -> list[str]:
        """Tokens subscribed to ``topic``, in subscription order."""
        return list(self._by_topic.get(topic, ()))

    def subscribers_of_any(self, topics: Iterable[str]) -> list[str]:
        """Tokens subscribed to at least one of ``topics`` (each once)."""
        seen: dict[str, None] = {}
        for topic in topics:
            seen.update(self._by_topic.get(topic, {}))
        return list(seen)

    def drop_token(self, token: str) -> None:
        """Forget every subscription of ``token`` (FCM garbage-collects dead tokens', §5)."""
        for topic in list(self._by_token.get(token, ())):
            self.remove(token, topic)

    def topics(self) -> Iterator[tuple[str, int]]:
        """Every topic with its subscriber count."""
        return ((topic, len(members)) for topic, members in self._by_topic.items())

    def clear(self) -> None:
        self._by_token.clear()
        self._by_topic.clear()
