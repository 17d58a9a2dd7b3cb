"""SOAP 1.1 envelopes of our CGM Journal/WM3 model: built with lxml, read with the hardened parser.

Values travel in SOAP-encoding style so any JSON-ready record round-trips without a schema per
operation: strings as text, `xsi:type` on everything else (xsd:boolean, xsd:long, xsd:double,
soapenc:Array of <item>, wm3:Struct of named children), `xsi:nil` for null. A key that is not an
XML name (a HER-id, say) becomes <entry key="…">.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from digidialog.errors import AdapterError, Location
from digidialog.xml.parser import parse_bytes

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP_ENC = "http://schemas.xmlsoap.org/soap/encoding/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XSD = "http://www.w3.org/2001/XMLSchema"
WM3 = "urn:digidialog:model:cgm-wm3:dialog:v1"
NSMAP = {"soap": SOAP_ENV, "soapenc": SOAP_ENC, "xsi": XSI, "xsd": XSD, "wm3": WM3}

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_NIL = f"{{{XSI}}}nil"
_TYPE = f"{{{XSI}}}type"


def element_name(operation: str) -> str:
    """`calendar.free_slots` → `CalendarFreeSlots`: the body element of an operation."""
    return "".join(part.capitalize() for part in re.split(r"[._]", operation))


def _put(parent: etree._Element, key: str, value: Any) -> None:
    if _NAME.match(key) and key != "entry":
        node = etree.SubElement(parent, key)
    else:
        node = etree.SubElement(parent, "entry", key=key)
    if value is None:
        node.set(_NIL, "true")
    elif isinstance(value, bool):
        node.set(_TYPE, "xsd:boolean")
        node.text = "true" if value else "false"
    elif isinstance(value, int):
        node.set(_TYPE, "xsd:long")
        node.text = str(value)
    elif isinstance(value, float):
        node.set(_TYPE, "xsd:double")
        node.text = repr(value)
    elif isinstance(value, str):
        node.text = value
    elif isinstance(value, list):
        node.set(_TYPE, "soapenc:Array")
        for item in value:
            _put(node, "item", item)
    elif isinstance(value, dict):
        node.set(_TYPE, "wm3:Struct")
        for k, v in value.items():
            _put(node, str(k), v)
    else:
        raise TypeError(f"cannot put {type(value).__name__} in a SOAP envelope")


def _type(node: etree._Element) -> tuple[str | None, str] | None:
    declared = node.get(_TYPE)
    if declared is None:
        return None
    prefix, _, local = declared.rpartition(":")
    return node.nsmap.get(prefix or None), local


def _children(node: etree._Element) -> list[etree._Element]:
    return [c for c in node if isinstance(c.tag, str)]


def _key(node: etree._Element) -> str:
    return node.get("key") or etree.QName(node).localname


def read_value(node: etree._Element) -> Any:
    """The JSON-ready value an element carries (see the module doc for the encoding)."""
    if node.get(_NIL) == "true":
        return None
    kind = _type(node)
    text = node.text or ""
    if kind == (SOAP_ENC, "Array"):
        return [read_value(c) for c in _children(node)]
    if kind == (WM3, "Struct"):
        return {_key(c): read_value(c) for c in _children(node)}
    if kind == (XSD, "boolean"):
        return text.strip() == "true"
    if kind == (XSD, "long"):
        return int(text)
    if kind == (XSD, "double"):
        return float(text)
    return text


def _envelope(token: str | None = None) -> tuple[etree._Element, etree._Element]:
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap=NSMAP)
    if token is not None:
        header = etree.SubElement(envelope, f"{{{SOAP_ENV}}}Header")
        security = etree.SubElement(header, f"{{{WM3}}}Security")
        etree.SubElement(security, f"{{{WM3}}}AccessToken").text = token
    return envelope, etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body")


def _bytes(envelope: etree._Element) -> bytes:
    return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")


def request(operation: str, args: dict[str, Any], token: str) -> bytes:
    envelope, body = _envelope(token)
    call = etree.SubElement(body, f"{{{WM3}}}{element_name(operation)}")
    for key, value in args.items():
        _put(call, key, value)
    return _bytes(envelope)


def response(operation: str, result: Any) -> bytes:
    envelope, body = _envelope()
    answer = etree.SubElement(body, f"{{{WM3}}}{element_name(operation)}Response")
    if result is not None:
        _put(answer, "result", result)
    return _bytes(envelope)


def fault(code: str, text: str, detail: str, reason: str | None = None) -> bytes:
    """A SOAP 1.1 fault: `code` "Client" or "Server", `detail` the wm3 element naming the case."""
    envelope, body = _envelope()
    node = etree.SubElement(body, f"{{{SOAP_ENV}}}Fault")
    etree.SubElement(node, "faultcode").text = f"soap:{code}"
    etree.SubElement(node, "faultstring").text = text
    info = etree.SubElement(etree.SubElement(node, "detail"), f"{{{WM3}}}{detail}")
    if reason is not None:
        etree.SubElement(info, f"{{{WM3}}}Reason").text = reason
    return _bytes(envelope)


def read(raw: bytes, source: str) -> tuple[etree._Element | None, etree._Element]:
    """Parse an envelope (hardened): its Header (or None) and the single element in its Body."""
    root = parse_bytes(raw, source=source).getroot()
    where = Location(source)
    if root.tag != f"{{{SOAP_ENV}}}Envelope":
        raise AdapterError(f"not a SOAP 1.1 envelope: root is {root.tag}", location=where)
    header = root.find(f"{{{SOAP_ENV}}}Header")
    body = root.find(f"{{{SOAP_ENV}}}Body")
    content = _children(body) if body is not None else []
    if len(content) != 1:
        raise AdapterError("the SOAP Body must hold exactly one element", location=where)
    return header, content[0]


def token_of(header: etree._Element | None) -> str | None:
    if header is None:
        return None
    return header.findtext(f"{{{WM3}}}Security/{{{WM3}}}AccessToken")


def fault_parts(node: etree._Element) -> tuple[str, str, str | None, str | None]:
    """(faultcode local part, faultstring, detail element local name, wm3:Reason) of a Fault."""
    code = (node.findtext("faultcode") or "").rpartition(":")[2]
    text = node.findtext("faultstring") or ""
    detail = node.find("detail")
    info = _children(detail)[0] if detail is not None and _children(detail) else None
    name = etree.QName(info).localname if info is not None else None
    reason = info.findtext(f"{{{WM3}}}Reason") if info is not None else None
    return code, text, name, reason


def is_fault(node: etree._Element) -> bool:
    return node.tag == f"{{{SOAP_ENV}}}Fault"
