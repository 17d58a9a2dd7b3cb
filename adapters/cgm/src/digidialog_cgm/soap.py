"""SOAP 1.1 envelopes of our CGM Journal/WM3 model: built with lxml, read with the hardened parser.

Values travel in SOAP-encoding style so any JSON-ready record round-trips without a schema per
operation: strings as text, `xsi:type` on everything else (xsd:boolean, xsd:long, xsd:double,
soapenc:Array of <item>, wm3:Struct of named children), `xsi:nil` for null. A key that is not an
XML name (a HER-id, say) becomes <entry key="…">. A string holding a character XML 1.0 cannot
carry (a control character such as Word's line break U+000B, U+FFFE, a lone surrogate) travels as
`wm3:Base64Text`: the base64 of its UTF-8, so the text arrives exact.

Reading is strict: a typed value whose text is not of its type (`xsd:boolean` other than
true/false/1/0, `xsd:long` "12a"), or a type this encoding does not know, is an `AdapterError`
naming the element; never a guess, never a bare `ValueError`.
"""

from __future__ import annotations

import base64
import binascii
import math
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

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_NIL = f"{{{XSI}}}nil"
_TYPE = f"{{{XSI}}}type"
#: A character XML 1.0 cannot carry, not even as a character reference (XML 1.0 §2.2 `Char`).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
#: XML Schema lexical forms (whitespace collapsed first): xsd:long and xsd:double.
_LONG = re.compile(r"[+-]?[0-9]+")
_DOUBLE = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?|[+-]?INF|NaN")
_BOOLEAN = {"true": True, "1": True, "false": False, "0": False}
_XSD_SPACE = " \t\n\r"


def element_name(operation: str) -> str:
    """`calendar.free_slots` → `CalendarFreeSlots`: the body element of an operation."""
    return "".join(part.capitalize() for part in re.split(r"[._]", operation))


def _put(parent: etree._Element, key: str, value: Any) -> None:
    if _NAME.fullmatch(key) and key != "entry":
        node = etree.SubElement(parent, key)
    elif _NOT_XML.search(key):
        raise AdapterError(f"the key {key!r} holds a character XML cannot carry")
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
        node.text = _double(value)
    elif isinstance(value, str) and _NOT_XML.search(value):
        node.set(_TYPE, "wm3:Base64Text")
        node.text = base64.b64encode(value.encode("utf-8", "surrogatepass")).decode("ascii")
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


def _double(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "INF" if value > 0 else "-INF"
    return repr(value)


def _path(node: etree._Element) -> str:
    """Where `node` sits under the operation's element, e.g. `result/practitioners/item[0]/name`."""
    steps: list[str] = []
    current = node
    while True:
        parent = current.getparent()
        if parent is not None and _type(parent) == (SOAP_ENC, "Array"):
            steps.append(f"item[{_children(parent).index(current)}]")
        else:
            steps.append(_key(current))
        if parent is None or etree.QName(parent).namespace in (SOAP_ENV, WM3):
            return "/".join(reversed(steps))
        current = parent


def _invalid(node: etree._Element, what: str) -> AdapterError:
    return AdapterError(f"element {_path(node)}: {what}")


def read_value(node: etree._Element) -> Any:
    """The JSON-ready value an element carries (see the module doc for the encoding).

    Raises `AdapterError` naming the element when its content is not of its declared type."""
    nil = node.get(_NIL)
    if nil is not None:
        if nil.strip(_XSD_SPACE) not in _BOOLEAN:
            raise _invalid(node, f"xsi:nil {nil!r} is not an xsd:boolean")
        if _BOOLEAN[nil.strip(_XSD_SPACE)]:
            return None
    kind = _type(node)
    text = node.text or ""
    if kind is None or kind == (XSD, "string"):
        return text
    if kind == (SOAP_ENC, "Array"):
        return [read_value(c) for c in _children(node)]
    if kind == (WM3, "Struct"):
        return {_key(c): read_value(c) for c in _children(node)}
    collapsed = text.strip(_XSD_SPACE)
    if kind == (XSD, "boolean"):
        if collapsed not in _BOOLEAN:
            raise _invalid(node, f"xsd:boolean {text!r} is not true, false, 1 or 0")
        return _BOOLEAN[collapsed]
    if kind == (XSD, "long"):
        if not _LONG.fullmatch(collapsed):
            raise _invalid(node, f"xsd:long {text!r} is not an integer")
        return int(collapsed)
    if kind == (XSD, "double"):
        if not _DOUBLE.fullmatch(collapsed):
            raise _invalid(node, f"xsd:double {text!r} is not a number")
        return float(collapsed.replace("INF", "inf"))
    if kind == (WM3, "Base64Text"):
        try:
            raw = base64.b64decode(collapsed, validate=True)
            return raw.decode("utf-8", "surrogatepass")
        except (binascii.Error, ValueError) as exc:
            raise _invalid(node, f"wm3:Base64Text is not base64 of UTF-8 ({exc})") from exc
    declared = node.get(_TYPE)
    raise _invalid(node, f"unsupported xsi:type {declared!r}")


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
