"""sender.gates.json_problem: what strict JSON refuses (the API answers it 400)."""

from __future__ import annotations

import pytest

from sender.gates import MAX_DEPTH, json_problem


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("[" * MAX_DEPTH + "]" * MAX_DEPTH, None),
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "nested too deeply"),
        ('{"a":' * MAX_DEPTH + "1" + "}" * MAX_DEPTH, None),
        ("[" * MAX_DEPTH + "{}" + "]" * MAX_DEPTH, "nested too deeply"),
    ],
    ids=["at-the-limit", "one-over", "objects-at-the-limit", "empty-object-one-over"],
)
def test_nesting_is_counted_in_arrays_and_objects(body: str, problem: str | None) -> None:
    """MAX_DEPTH nested arrays or objects pass; one more, even an empty one, is too deep."""
    assert json_problem(body.encode()) == problem


@pytest.mark.parametrize(
    ("body", "refused"),
    [
        (rb'["ok", "\ud800"]', True),
        (rb'{"\udc00": 1}', True),
        (b'["\xed\xa0\x80"]', True),
        (rb'[{"a": ["\ud83d\ude00", "x"]}]', False),
    ],
    ids=["escaped-value", "escaped-key", "raw-utf8-surrogate", "a-valid-pair"],
)
def test_a_lone_surrogate_anywhere_is_refused(body: bytes, refused: bool) -> None:
    """A lone UTF-16 surrogate in any value or key is refused; an escaped pair is one emoji."""
    problem = json_problem(body)
    assert (problem == "a string holds a lone UTF-16 surrogate") is refused, problem
