"""A strict, minimal DER reader (and writer) for the few CMS structures `cms` handles.

asn1crypto's general parser cost more than the RSA operation itself per message; this reads only
definite-length DER (BER's indefinite lengths and non-minimal lengths are refused) and hands out
`Node` views over the original bytes, so signed parts are verified byte for byte as received.
The `encode*` helpers write the SignedData `cms.Sealer` builds (the fixed parts once per sealer).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Final

from asn1crypto.core import ObjectIdentifier

SEQUENCE: Final = 0x30
SET: Final = 0x31
INTEGER: Final = 0x02
OCTET_STRING: Final = 0x04
OID: Final = 0x06
NULL: Final = 0x05
UTC_TIME: Final = 0x17
GENERALIZED_TIME: Final = 0x18


class DerError(ValueError):
    """The bytes are not the DER expected at this point."""


def oid(dotted: str) -> bytes:
    """The DER content octets of an OBJECT IDENTIFIER (computed once, at import, by callers)."""
    return bytes(ObjectIdentifier(dotted).contents or b"")


class Node:
    """One TLV: ``tag`` (first identifier octet), and the slice of ``data`` it covers.

    A plain slotted class: a frozen dataclass's ``__init__`` was a measurable share of the work.
    """

    __slots__ = ("body", "data", "end", "start", "tag")

    def __init__(self, data: bytes, tag: int, start: int, body: int, end: int) -> None:
        self.data = data
        self.tag = tag
        self.start = start  # offset of the tag octet
        self.body = body  # offset of the content octets
        self.end = end

    @property
    def raw(self) -> bytes:
        """The whole TLV, exactly as received."""
        return self.data[self.start : self.end]

    @property
    def value(self) -> bytes:
        """The content octets."""
        return self.data[self.body : self.end]

    def children(self) -> list[Node]:
        """The TLVs inside a constructed node, which must fill it exactly."""
        if not self.tag & 0x20:
            raise DerError(f"tag {self.tag:#x} is primitive, expected a constructed value")
        data, pos, end = self.data, self.body, self.end
        nodes: list[Node] = []
        while pos < end:
            # Short lengths (< 128 octets, most of CMS) inline; the rest, and errors, via read().
            if pos + 2 <= end and data[pos + 1] < 0x80 and data[pos] & 0x1F != 0x1F:
                stop = pos + 2 + data[pos + 1]
                if stop <= end:
                    nodes.append(Node(data, data[pos], pos, pos + 2, stop))
                    pos = stop
                    continue
            node = read(data, pos, end)
            nodes.append(node)
            pos = node.end
        return nodes

    def expect(self, tag: int, what: str) -> Node:
        if self.tag != tag:
            raise DerError(f"{what}: found tag {self.tag:#x}, expected {tag:#x}")
        return self

    def integer(self) -> int:
        self.expect(INTEGER, "INTEGER")
        return int.from_bytes(self.value, "big", signed=True)


def read(data: bytes, pos: int = 0, limit: int | None = None) -> Node:
    """The TLV starting at ``pos``, which must end by ``limit`` (default: end of data)."""
    end_limit = len(data) if limit is None else limit
    if pos + 2 > end_limit:
        raise DerError("truncated: no room for a tag and a length")
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        raise DerError("multi-octet tags are not used in CMS")
    first = data[pos + 1]
    body = pos + 2
    if first < 0x80:
        length = first
    elif first == 0x80:
        raise DerError("indefinite length (BER) is not DER")
    else:
        count = first & 0x7F
        if count > 4 or body + count > end_limit:
            raise DerError("truncated or oversized length")
        length = int.from_bytes(data[body : body + count], "big")
        if length < 0x80 or data[body] == 0:
            raise DerError("non-minimal length encoding is not DER")
        body += count
    end = body + length
    if end > end_limit:
        raise DerError("truncated: the value runs past the end of its container")
    return Node(data, tag, pos, body, end)


def read_all(data: bytes) -> Node:
    """The single TLV making up ``data``; trailing bytes are refused."""
    node = read(data)
    if node.end != len(data):
        raise DerError(f"{len(data) - node.end} trailing bytes after the DER value")
    return node


def algorithm(node: Node, what: str) -> bytes:
    """The OID of an AlgorithmIdentifier whose parameters are absent or NULL."""
    parts = node.expect(SEQUENCE, what).children()
    if not parts or len(parts) > 2:
        raise DerError(f"{what}: malformed AlgorithmIdentifier")
    if len(parts) == 2 and (parts[1].tag != NULL or parts[1].value):
        raise DerError(f"{what}: unexpected algorithm parameters")
    return parts[0].expect(OID, what).value


def encode(tag: int, body: bytes) -> bytes:
    """One DER TLV: ``tag``, the minimal definite length, ``body``."""
    size = len(body)
    if size < 0x80:
        return bytes((tag, size)) + body
    octets = (size.bit_length() + 7) // 8
    return bytes((tag, 0x80 | octets)) + size.to_bytes(octets, "big") + body


def encode_integer(value: int) -> bytes:
    """A DER INTEGER (two's complement, minimal octets)."""
    octets = (value + (value < 0)).bit_length() // 8 + 1
    return encode(INTEGER, value.to_bytes(octets, "big", signed=True))


def encode_set_of(members: Iterable[bytes]) -> bytes:
    """A DER SET OF: the encoded members sorted by their octets, as DER requires."""
    return encode(SET, b"".join(sorted(members)))


def encode_time(when: dt.datetime) -> bytes:
    """An X.509/CMS Time: UTCTime for 1950-2049, GeneralizedTime otherwise (RFC 5280 4.1.2.5)."""
    utc = when.astimezone(dt.UTC)
    if 1950 <= utc.year < 2050:
        return encode(UTC_TIME, utc.strftime("%y%m%d%H%M%SZ").encode("ascii"))
    return encode(GENERALIZED_TIME, utc.strftime("%Y%m%d%H%M%SZ").encode("ascii"))
