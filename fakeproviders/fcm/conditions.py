"""FCM topic conditions: parse ``'A' in topics && ('B' in topics || 'C' in topics)`` (sans-IO).

reference/fcm.md §1.3: operators ``&&`` and ``||``, parentheses evaluated first, then left to
right (no precedence between the two operators), at most five topics, topic names
case-sensitive. ``!`` is documented in some revisions and was refused by v1 in 2018, so it is a
switch (``allow_not``) [U].
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container
from dataclasses import dataclass

from fakeproviders.fcm.errors import FakeFcmError

MAX_CONDITION_TOPICS = 5
#: reference/fcm.md §1.3: ``[a-zA-Z0-9-_.~%]{1,900}``.
TOPIC_PATTERN = re.compile(r"[a-zA-Z0-9\-_.~%]{1,900}")
_TOKEN = re.compile(
    r"\s*(?:(?P<topic>'[^']*'|\"[^\"]*\")\s+in\s+topics\b|(?P<op>&&|\|\|)|(?P<paren>[()])"
    r"|(?P<not>!))"
)


class ConditionError(FakeFcmError):
    """The condition is not one FCM accepts."""


@dataclass(frozen=True, slots=True)
class Node:
    """One node of a parsed condition: ``topic``, ``not``, ``&&`` or ``||``."""

    op: str
    topic: str = ""
    left: Node | None = None
    right: Node | None = None

    def matches(self, subscribed: Container[str]) -> bool:
        if self.op == "topic":
            return self.topic in subscribed
        assert self.left is not None
        if self.op == "not":
            return not self.left.matches(subscribed)
        assert self.right is not None
        if self.op == "&&":
            return self.left.matches(subscribed) and self.right.matches(subscribed)
        return self.left.matches(subscribed) or self.right.matches(subscribed)


@dataclass(frozen=True, slots=True)
class Condition:
    """A parsed condition: the topics it names and whether it uses ``!``."""

    text: str
    root: Node
    topics: tuple[str, ...]
    negates: bool
    """True when ``!`` appears: then instances with no topics at all can match too."""

    def matches(self, subscribed: Container[str]) -> bool:
        """Whether an instance subscribed to ``subscribed`` receives the message."""
        return self.root.matches(subscribed)


MAX_NESTING = 32
"""Levels of parentheses and ``!`` a condition may nest (more is "Invalid condition expression
provided.", as any malformed condition; Google's own limit is [U])."""


def parse_condition(text: str, *, allow_not: bool = False) -> Condition:
    """Parse and check ``text``; raises :class:`ConditionError`."""
    tokens: list[tuple[str, str]] = []
    pos = 0
    stripped = text.rstrip()
    while pos < len(stripped):
        match = _TOKEN.match(stripped, pos)
        if match is None or match.end() == pos:
            raise ConditionError(text)
        group = match.lastgroup or ""
        tokens.append((group, match.group(group)))
        pos = match.end()
    parser = _Parser(tokens, allow_not)
    root = parser.expression()
    if parser.i != len(tokens):
        raise ConditionError(text)
    topics = tuple(parser.topics)
    if len(topics) > MAX_CONDITION_TOPICS or any(
        TOPIC_PATTERN.fullmatch(t) is None for t in topics
    ):
        raise ConditionError(text)
    return Condition(text, root, topics, parser.negates)


class _Parser:
    """expr := term (op term)* ; term := ['!'] (topic | '(' expr ')'), folded left to right."""

    def __init__(self, tokens: list[tuple[str, str]], allow_not: bool) -> None:
        self.tokens = tokens
        self.allow_not = allow_not
        self.i = 0
        self.topics: list[str] = []
        self.negates = False
        self.depth = 0

    def expression(self) -> Node:
        node = self.term()
        while self.i < len(self.tokens) and self.tokens[self.i][0] == "op":
            op = self.tokens[self.i][1]
            self.i += 1
            node = Node(op, left=node, right=self.term())
        return node

    def _nested(self, parse: Callable[[], Node]) -> Node:
        # Five topics need a few levels at most; thousands of "(" would only exhaust the stack.
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise ConditionError("nested too deeply")
        node = parse()
        self.depth -= 1
        return node

    def term(self) -> Node:
        if self.i < len(self.tokens) and self.tokens[self.i][0] == "not":
            if not self.allow_not:
                raise ConditionError("!")
            self.i += 1
            self.negates = True
            return Node("not", left=self._nested(self.term))
        if self.i >= len(self.tokens):
            raise ConditionError("unexpected end")
        kind, value = self.tokens[self.i]
        if kind == "topic":
            self.i += 1
            self.topics.append(value[1:-1])
            return Node("topic", topic=value[1:-1])
        if (kind, value) == ("paren", "("):
            self.i += 1
            node = self._nested(self.expression)
            if self.i < len(self.tokens) and self.tokens[self.i] == ("paren", ")"):
                self.i += 1
                return node
        raise ConditionError(value)
