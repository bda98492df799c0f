"""JSON as Apple's and Google's parsers read it: Python's ``json`` also takes ``NaN`` and
``Infinity``, lone UTF-16 surrogates (``"\\ud800"``) and nesting deep enough to exhaust the stack
of whoever walks the value next; real services answer 400 to each."""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 64
"""Nested arrays and objects a body may have (push payloads need a handful) [U]."""

_SURROGATE = re.compile("[\ud800-\udfff]")


def loads(raw: bytes | str) -> Any:
    """``json.loads`` that raises ``ValueError`` for what strict JSON parsers refuse."""
    try:
        value = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    _check(value)
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _check(value: Any) -> None:
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                raise ValueError("a lone surrogate in a string")
        elif isinstance(item, dict | list):
            if depth >= MAX_DEPTH:
                raise ValueError("JSON nested too deeply")
            if isinstance(item, dict):
                stack.extend((key, depth) for key in item)
                stack.extend((child, depth + 1) for child in item.values())
            else:
                stack.extend((child, depth + 1) for child in item)
