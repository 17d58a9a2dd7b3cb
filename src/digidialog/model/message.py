"""`Message`: the base of the root models (`MsgHead`, `AppRec`) and their way to and from lxml
trees.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

from lxml import etree

from digidialog.errors import Location, ParseError
from digidialog.model.base import XmlModel, source_line
from digidialog.xml.namespaces import readable_path


class Message(XmlModel):
    """A whole message: `MsgHead` or a standalone `AppRec`.

    ``Message.from_tree(root)`` picks the class from the root element; ``MsgHead.from_tree`` insists
    on a MsgHead. ``to_tree()`` builds a fresh lxml element, ``to_xml()`` UTF-8 bytes.
    """

    _roots: ClassVar[dict[str, type[Message]]] = {}

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if cls.xml_tag is not None:
            for ns in cls.xml_namespaces or (cls.xml_ns,):
                Message._roots[f"{{{ns}}}{cls.xml_tag}"] = cls

    @classmethod
    def from_tree(
        cls, element: etree._Element | etree._ElementTree, *, source: str | None = None
    ) -> Self:
        """Read a message from an already parsed (hardened) tree, without re-parsing."""
        root = element.getroot() if isinstance(element, etree._ElementTree) else element
        tag = root.tag if isinstance(root.tag, str) else ""
        found = Message._roots.get(tag)
        if found is None or not issubclass(found, cls):
            expected = [name for name, kind in Message._roots.items() if issubclass(kind, cls)]
            local = etree.QName(tag).localname if tag else "(none)"
            same_name = [name for name in expected if etree.QName(name).localname == local]
            if same_name:  # the right element in another namespace: usually a wrong version
                problem = f"root element {local!r} is in namespace {etree.QName(tag).namespace!r}"
                hint = "expected the namespace of a version this library reads: " + ", ".join(
                    repr(etree.QName(name).namespace) for name in same_name
                )
            else:
                problem = f"root element {local!r} is not a message this library reads"
                hint = "expected one of " + ", ".join(
                    dict.fromkeys(sorted(etree.QName(name).localname for name in expected))
                )
            raise ParseError(
                problem,
                location=Location(source, source_line(root), readable_path(root)),
                hint=hint,
                code="parse:unknown-root",
            )
        message: Self = found.read_element(root, source=source)
        return message

    def to_tree(self) -> etree._Element:
        """This message as a new lxml element (the root of its own document)."""
        return self.write_element()

    def to_xml(self) -> bytes:
        """This message as UTF-8 XML bytes with an XML declaration."""
        return etree.tostring(self.to_tree(), xml_declaration=True, encoding="UTF-8")
