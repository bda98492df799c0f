"""HPACK for the fakes' answers: no Huffman coding, and per-answer ids never indexed.

Both are allowed encodings (RFC 7541 §5.2, §6.2.3) that every decoder reads. The pure-Python
Huffman coder costs more per answer than the answer's other header work, on both ends (profiled
with ``pushsim bench campaign``); an id that is new in every answer (``apns-id``) would only
evict useful entries from the dynamic table.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hpack import Encoder, NeverIndexedHeaderTuple


class PlainEncoder(Encoder):
    """An ``hpack.Encoder`` that never uses Huffman coding; install as ``H2Connection.encoder``."""

    def encode(self, headers: Any, huffman: bool = False) -> bytes:
        return super().encode(headers, huffman=False)


def unindexed(headers: Iterable[tuple[Any, Any]], names: frozenset[str]) -> list[Any]:
    """``headers`` with those named in ``names`` marked never-indexed."""
    return [NeverIndexedHeaderTuple(n, v) if n in names else (n, v) for n, v in headers]
