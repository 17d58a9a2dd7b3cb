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


TLV = tuple[int, int, int, int]
"""One DER value as offsets into the data it was read from: (tag, start, body, end) — the first
identifier octet, where the tag starts, where the content octets start, and where they end."""


def _tlvs(data: bytes, pos: int, end: int, *, first_only: bool = False) -> list[TLV]:
    """The TLVs from ``pos``, which must fill ``data[pos:end]`` exactly (or just the first)."""
    found: list[TLV] = []
    while pos < end:
        if pos + 2 > end:
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
            if count > 4 or body + count > end:
                raise DerError("truncated or oversized length")
            length = int.from_bytes(data[body : body + count], "big")
            if length < 0x80 or data[body] == 0:
                raise DerError("non-minimal length encoding is not DER")
            body += count
        stop = body + length
        if stop > end:
            raise DerError("truncated: the value runs past the end of its container")
        found.append((tag, pos, body, stop))
        if first_only:
            break
        pos = stop
    return found


def head(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """The TLV at ``pos`` inside ``data[:end]`` (``pos < end``) as ``(tag, body, stop)``: the
    identifier octet, where the content octets start and where they end — for readers that walk
    a fixed shape with one forward cursor instead of listing every container's children. The
    checks are `_tlvs`'s: one-octet tags, definite minimal lengths, nothing past ``end``."""
    if pos + 2 > end:
        raise DerError("truncated: no room for a tag and a length")
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        raise DerError("multi-octet tags are not used in CMS")
    length = data[pos + 1]
    body = pos + 2
    if length >= 0x80:
        # Long form, the one- and two-octet lengths CMS messages use read without a slice.
        count = length & 0x7F
        if not count:
            raise DerError("indefinite length (BER) is not DER")
        if count > 4 or body + count > end:
            raise DerError("truncated or oversized length")
        if count == 1:
            length = data[body]
        elif count == 2:
            length = data[body] << 8 | data[body + 1]
        else:
            length = int.from_bytes(data[body : body + count], "big")
        if length < 0x80 or data[body] == 0:
            raise DerError("non-minimal length encoding is not DER")
        body += count
    stop = body + length
    if stop > end:
        raise DerError("truncated: the value runs past the end of its container")
    return tag, body, stop


def count(data: bytes, pos: int, end: int) -> int:
    """How many TLVs fill ``data[pos:end]`` exactly (each header checked as `head` does)."""
    found = 0
    while pos < end:
        pos = head(data, pos, end)[2]
        found += 1
    return found


def tag_error(found: int, tag: int, what: str) -> DerError:
    """The refusal of a value tagged ``found`` where ``tag`` was expected."""
    if found == tag:
        return DerError(f"{what}: tag {tag:#x} is primitive, expected a constructed value")
    return DerError(f"{what}: found tag {found:#x}, expected {tag:#x}")


class Reader:
    """Reads TLVs out of one buffer, handing out offsets (`TLV`), never copies, until a value
    is asked for — signed parts are then verified byte for byte as received. Tuples rather than
    node objects: object creation was most of the cost of taking a SignedData apart."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data

    def whole(self) -> TLV:
        """The single TLV making up the data; trailing bytes are refused."""
        found = _tlvs(self.data, 0, len(self.data), first_only=True)
        if not found:
            raise DerError("no DER value")
        if found[0][3] != len(self.data):
            raise DerError(f"{len(self.data) - found[0][3]} trailing bytes after the DER value")
        return found[0]

    def children(self, tlv: TLV, tag: int, what: str) -> list[TLV]:
        """The TLVs inside ``tlv``, which must be a constructed ``tag``."""
        if tlv[0] != tag or not tag & 0x20:
            raise _wrong_tag(tlv, tag, what)
        return _tlvs(self.data, tlv[2], tlv[3])

    def value(self, tlv: TLV, tag: int, what: str) -> bytes:
        """The content octets of ``tlv``, which must be ``tag``."""
        if tlv[0] != tag:
            raise _wrong_tag(tlv, tag, what)
        return self.data[tlv[2] : tlv[3]]

    def raw(self, tlv: TLV) -> bytes:
        """The whole TLV, exactly as received."""
        return self.data[tlv[1] : tlv[3]]

    def integer(self, tlv: TLV, what: str) -> int:
        return int.from_bytes(self.value(tlv, INTEGER, what), "big", signed=True)

    def algorithm(self, tlv: TLV, what: str) -> bytes:
        """The OID of an AlgorithmIdentifier whose parameters are absent or NULL."""
        parts = self.children(tlv, SEQUENCE, what)
        if not parts or len(parts) > 2:
            raise DerError(f"{what}: malformed AlgorithmIdentifier")
        if len(parts) == 2 and (parts[1][0] != NULL or parts[1][2] != parts[1][3]):
            raise DerError(f"{what}: unexpected algorithm parameters")
        return self.value(parts[0], OID, what)


def expect(tlv: TLV, tag: int, what: str) -> TLV:
    """``tlv``, if its tag is ``tag``."""
    if tlv[0] != tag:
        raise _wrong_tag(tlv, tag, what)
    return tlv


def _wrong_tag(tlv: TLV, tag: int, what: str) -> DerError:
    return tag_error(tlv[0], tag, what)


def header(tag: int, size: int) -> bytes:
    """The tag and minimal definite length of a TLV whose value is ``size`` octets long; for
    callers that join a large value with its headers once instead of copying it per level."""
    if size < 0x80:
        return bytes((tag, size))
    if size < 0x100:
        return bytes((tag, 0x81, size))
    if size < 0x10000:
        return bytes((tag, 0x82, size >> 8, size & 0xFF))
    octets = (size.bit_length() + 7) // 8
    return bytes((tag, 0x80 | octets)) + size.to_bytes(octets, "big")


def encode(tag: int, body: bytes) -> bytes:
    """One DER TLV: ``tag``, the minimal definite length, ``body``."""
    return header(tag, len(body)) + body


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
