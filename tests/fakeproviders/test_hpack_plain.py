"""The fakes' HPACK encoding: plain literals, per-answer ids never indexed (RFC 7541)."""

from __future__ import annotations

from hpack import Decoder, Encoder, NeverIndexedHeaderTuple

from fakeproviders.hpack_plain import PlainEncoder, unindexed

ANSWER = [(":status", "200"), ("apns-id", "4b1cbb6c-8ea5-4e1c-9a6d-0d7d1b7b5f12")]


def test_plain_encoding_decodes_to_the_same_headers() -> None:
    """Any HPACK decoder reads the plain encoding back unchanged."""
    decoded = Decoder().decode(PlainEncoder().encode(ANSWER))
    assert [tuple(h) for h in decoded] == ANSWER


def test_plain_encoding_never_sets_the_huffman_bit() -> None:
    """String literals are raw octets (H bit 0, RFC 7541 §5.2), so the id is in the bytes."""
    encoded = PlainEncoder().encode(ANSWER)
    assert ANSWER[1][1].encode() in encoded
    assert ANSWER[1][1].encode() not in Encoder().encode(ANSWER)  # hpack's default: Huffman


def test_unindexed_headers_stay_out_of_the_dynamic_table() -> None:
    """Headers named in ``unindexed`` are sent never-indexed; the others may be indexed."""
    headers = unindexed(ANSWER, frozenset({"apns-id"}))
    assert isinstance(headers[1], NeverIndexedHeaderTuple) and not headers[1].indexable
    encoder = PlainEncoder()
    encoder.encode(headers)
    assert all(name != b"apns-id" for name, _ in encoder.header_table.dynamic_entries)
    decoded = Decoder().decode(PlainEncoder().encode(headers))
    assert not decoded[1].indexable
