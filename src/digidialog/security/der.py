"""A strict, minimal DER reader for the few CMS structures `cms` has to take apart.

asn1crypto's general parser cost more than the RSA operation itself per message; this reads only
definite-length DER (BER's indefinite lengths and non-minimal lengths are refused) and hands out
`Node` views over the original bytes, so signed parts are verified byte for byte as received.
"""

from __future__ import annotations

from typing import Final

from asn1crypto.core import ObjectIdentifier

SEQUENCE: Final = 0x30
SET: Final = 0x31
INTEGER: Final = 0x02
OCTET_STRING: Final = 0x04
OID: Final = 0x06
NULL: Final = 0x05


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
        nodes: list[Node] = []
        pos = self.body
        while pos < self.end:
            node = read(self.data, pos, self.end)
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
