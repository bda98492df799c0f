"""FCM topic conditions (reference §1.3)."""

from __future__ import annotations

import pytest

from fakeproviders.fcm.conditions import ConditionError, parse_condition


def test_condition_names_its_topics() -> None:
    """A condition lists the topics it names, in order."""
    condition = parse_condition("'a' in topics && ('b' in topics || 'c' in topics)")
    assert condition.topics == ("a", "b", "c")


def test_and_or_evaluate_left_to_right_without_precedence() -> None:
    """Without parentheses, 'a' || 'b' && 'c' is ('a' || 'b') && 'c' (left to right)."""
    condition = parse_condition("'a' in topics || 'b' in topics && 'c' in topics")
    assert not condition.matches({"a"})
    assert condition.matches({"a", "c"})


def test_parentheses_are_evaluated_first() -> None:
    """'a' || ('b' && 'c') reaches an instance subscribed to a alone."""
    assert parse_condition("'a' in topics || ('b' in topics && 'c' in topics)").matches({"a"})


def test_at_most_five_topics() -> None:
    """Five topics are fine, six are refused."""
    five = " || ".join(f"'t{i}' in topics" for i in range(5))
    assert len(parse_condition(five).topics) == 5
    with pytest.raises(ConditionError):
        parse_condition(five + " || 't5' in topics")


def test_not_is_refused_unless_switched_on() -> None:
    """! is refused by default (v1 in 2018) and accepted when allowed."""
    with pytest.raises(ConditionError):
        parse_condition("!('a' in topics)")
    condition = parse_condition("!('a' in topics)", allow_not=True)
    assert condition.negates
    assert condition.matches(set())
    assert not condition.matches({"a"})


def test_topic_names_are_case_sensitive() -> None:
    """'News' and 'news' are different topics."""
    assert not parse_condition("'News' in topics").matches({"news"})


@pytest.mark.parametrize(
    "text",
    ["'a' in topics &&", "('a' in topics", "a in topics", "'a' in topics 'b' in topics",
     "'bad name' in topics", "", "&& 'a' in topics"],
)  # fmt: skip
def test_malformed_conditions_are_refused(text: str) -> None:
    """Syntax errors and invalid topic names are refused."""
    with pytest.raises(ConditionError):
        parse_condition(text)
