"""KITH Base64Container: a binary attachment inside ``RefDoc/Content``."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from digidialog.errors import ParseError
from digidialog.model.base import TEXT, XmlModel
from digidialog.xml.namespaces import BASE64


class InvalidBase64Error(ParseError, ValueError):
    """A Base64Container's text is not base64. Decoding is lazy (attachments can be large), so
    this comes from `Base64Container.data`, not from `parse`; a `ValueError` too, for callers that
    treat it as one."""

    code = "parse:invalid-base64"


class Base64Container(XmlModel):
    """Base64 text as written (line breaks kept); `data` decodes it, `of` encodes bytes."""

    xml_ns = BASE64
    xml_tag = "Base64Container"

    value: Annotated[str, TEXT] = ""

    @classmethod
    def of(cls, data: bytes) -> Base64Container:
        """A container holding ``data`` base64-encoded (one line, as `to_xml` writes it)."""
        return cls(value=base64.b64encode(data).decode("ascii"))

    @property
    def data(self) -> bytes:
        """The decoded bytes; raises `InvalidBase64Error` when the text is not valid base64."""
        try:
            return base64.b64decode("".join(self.value.split()), validate=True)
        except binascii.Error as exc:
            raise InvalidBase64Error(
                f"Base64Container does not hold valid base64: {exc}",
                hint="the sender must encode the attachment as base64 (RFC 4648, no other text)",
            ) from exc
