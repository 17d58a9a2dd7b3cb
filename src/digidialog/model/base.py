"""A small declarative XML binding for pydantic models, built for losslessness.

Every model field is an element, an attribute or the element's text; the field's annotation says
which (`El`, `Attr`, `TEXT`, `TAG`, `ANY`, `NAMESPACE`). Field order is document order (the
schema's sequence), so reading checks order and writing reproduces it. Anything the model does
not describe is a `ParseError` naming source, line and XPath, never silently dropped; places
where the standards allow foreign XML (``RefDoc/Content``, ``ds:Signature``, ``anyType``) keep
it as `RawXml` / `Markup`.

Why not pydantic-xml: it reads only the text before the first comment (``5<!---->00`` became
``5``), ignores unknown elements and cannot name the XPath of a failure; this binding is ~300
lines and does exactly what the standards need. The reading plan of each class is built once and
cached.
"""

from __future__ import annotations

import copy
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Self, Union, get_args, get_origin

from lxml import etree
from pydantic import BaseModel, ConfigDict

from digidialog.errors import Location, ParseError
from digidialog.xml.namespaces import XSI, readable_path

_XML_SPACE = " \t\r\n"
"""XML's whitespace (S production); other Unicode spaces are content."""

Kind = Literal["element", "attribute", "text", "tag", "any", "namespace"]

_IGNORED_ATTRIBUTES = frozenset({f"{{{XSI}}}schemaLocation", f"{{{XSI}}}noNamespaceSchemaLocation"})


@dataclass(frozen=True, slots=True)
class Xml:
    """How one field maps to XML; put it in the field's ``Annotated[...]``."""

    name: str | None = None
    kind: Kind = "element"
    ns: str | None = None
    """Namespace of the element; default: the namespace of the model that holds the field."""
    type_ns: str | None = None
    """Namespace the child's own children live in, for types defined in another schema (fk1)."""


def El(name: str | None = None, *, ns: str | None = None, type_ns: str | None = None) -> Xml:
    """A child element; ``name`` defaults to the PascalCase of the field name."""
    return Xml(name, "element", ns, type_ns)


def Attr(name: str) -> Xml:
    """An (unqualified) attribute."""
    return Xml(name, "attribute")


TEXT = Xml(kind="text")
"""The element's own text (simple content)."""
TAG = Xml(kind="tag")
"""The element's local name, for generic models that stand for many element names (xCal)."""
ANY = Xml(kind="any")
"""Every child element in the model's namespace that no named field takes, in order."""
NAMESPACE = Xml(kind="namespace")
"""The element's namespace URI, for models shared by two versions of a standard."""


def _pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def source_line(element: etree._Element) -> int | None:
    """The line ``element`` started on in its source (the lxml stubs leave it untyped)."""
    line = element.sourceline
    return line if isinstance(line, int) else None


def content_error(message: str, element: etree._Element, source: str | None) -> ParseError:
    """A `ParseError` for content that does not fit the model, located at ``element``."""
    return ParseError(
        message,
        location=Location(source, source_line(element), readable_path(element)),
        hint="the message does not follow the standard's schema; validate it to see why",
        code="parse:unexpected-content",
    )


def element_text(element: etree._Element) -> str:
    """The text of a simple element: comments and PIs inside do not split it; blank text is ''."""
    text = element.text or ""
    if len(element):
        text += "".join(child.tail or "" for child in element)
    return text if text.strip(_XML_SPACE) else ""


class XmlModel(BaseModel):
    """Base of every bound model. Class variables say where the model lives in XML."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    xml_ns: ClassVar[str | None] = None
    """Namespace of this model's children; None: the namespace of the element that holds it."""
    xml_tag: ClassVar[str | None] = None
    """Element name of a document root (a model that can stand alone or inside ``Content``)."""
    xml_namespaces: ClassVar[tuple[str, ...]] = ()
    """Namespaces a document root is read from (several for versioned standards)."""
    xml_nsmap: ClassVar[dict[str | None, str]] = {}
    """Prefixes declared on a document root when written."""
    xml_names: ClassVar[Literal["pascal", "kebab"]] = "pascal"
    """Field → element name: ``msg_info`` → ``MsgInfo`` (pascal), ``date_time`` → ``date-time``."""

    @classmethod
    def read_element(
        cls, element: etree._Element, *, context_ns: str | None = None, source: str | None = None
    ) -> Self:
        """Build this model from ``element``; raise `ParseError` for anything it cannot carry."""
        model: Self = _read_model(cls, element, context_ns, source)
        return model

    def write_element(
        self, parent: etree._Element | None = None, *, context_ns: str | None = None
    ) -> etree._Element:
        """Write this document-root model as an element (appended to ``parent`` when given)."""
        tag = self.xml_qname(context_ns)
        nsmap: Any = {**self.xml_nsmap, None: etree.QName(tag).namespace or ""}
        element = (
            etree.Element(tag, nsmap=nsmap)
            if parent is None
            else etree.SubElement(parent, tag, nsmap=nsmap)
        )
        _write_model(self, element, etree.QName(tag).namespace)
        return element

    def xml_qname(self, context_ns: str | None = None) -> str:
        """The Clark name this model is written under when it is a document root."""
        plan = _plan(type(self))
        if self.xml_tag is None:
            raise TypeError(f"{type(self).__name__} is not a document root")
        ns = plan.namespace_of(self, context_ns)
        return f"{{{ns}}}{self.xml_tag}" if ns else self.xml_tag


class _ElementHolder(BaseModel):
    """Holds an lxml element; equal when the elements are (exclusive C14N, comments dropped)."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    element: etree._Element

    def canonical(self) -> bytes:
        """The held element in exclusive canonical form, for comparison and hashing."""
        return etree.tostring(
            self.element, method="c14n", exclusive=True, with_comments=False, with_tail=False
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _ElementHolder) or type(other) is not type(self):
            return NotImplemented
        return self.canonical() == other.canonical()

    def __hash__(self) -> int:
        return hash(self.canonical())


def detached_copy(element: etree._Element) -> etree._Element:
    """A private copy of ``element`` as the root of its own document, with every namespace binding
    in scope at ``element`` declared on the copy.

    ``copy.deepcopy`` of a subelement keeps only the bindings the copied names use, so a prefix
    used only in a QName value (``xsi:type="q:T"``, QName text) and declared on an ancestor would
    be unbound in the copy. When every binding in scope is the element's own declaration (a
    document root, a document that declares what it uses) ``deepcopy`` is enough; otherwise a new
    root declares the element's ``nsmap`` and takes deep copies of the children (about twice the
    time of ``deepcopy``: lxml re-points the namespace of every node it inserts). lxml drops a
    declaration inside an inserted subtree whose URI is already bound in scope under another
    prefix; writing a tree does the same, so such a re-binding cannot survive `Message.to_xml`.
    """
    parent = element.getparent()
    nsmap: Any = element.nsmap
    inherited: Any = {} if parent is None else parent.nsmap
    if not any(inherited.get(prefix) == uri for prefix, uri in nsmap.items()):
        return copy.deepcopy(element)  # every binding in scope is its own: deepcopy keeps them
    root = etree.Element(element.tag, nsmap=nsmap)
    for key, value in element.items():
        root.set(key, value)
    root.text = element.text
    root.tail = element.tail
    line = source_line(element)
    if line is not None:  # None for built trees
        root.sourceline = line  # type: ignore[assignment]  # lxml-stubs: untyped
    for node in element:
        root.append(copy.deepcopy(node))
    return root


class RawXml(_ElementHolder):
    """An element carried through untouched (M1 prescriptions, ds:Signature, unknown documents),
    namespace context included: every binding in scope at the element is declared on the copy, so
    QName values (``xsi:type="q:T"``) keep their meaning when it is written elsewhere."""

    @classmethod
    def of(cls, element: etree._Element) -> RawXml:
        """Keep a private copy of ``element`` so later changes to the source tree do not leak in."""
        return cls(element=detached_copy(element))

    @property
    def qname(self) -> etree.QName:
        """The carried element's qualified name."""
        return etree.QName(self.element)

    @property
    def namespace(self) -> str | None:
        """Its namespace URI (e.g. M1's), by which a reader decides what it is."""
        return self.qname.namespace

    @property
    def tag(self) -> str:
        """Its local name, e.g. ``Resept``."""
        return self.qname.localname


class Markup(_ElementHolder):
    """Content of an ``anyType`` element such as Sporsmal (XHTML, attributes), kept as written.

    ``element`` is a copy of the holding element (namespace context included, as for `RawXml`):
    its attributes (any namespace, e.g. ``xml:lang``), text, children and their tails are the
    content; its name is not (the field gives it).
    """

    @classmethod
    def of(
        cls,
        *nodes: etree._Element,
        text: str | None = None,
        attributes: Mapping[str, str] | None = None,
    ) -> Markup:
        """Markup made of ``nodes`` (e.g. an XHTML ``div``), optionally preceded by ``text``, on
        an element with ``attributes`` (Clark names, e.g. ``{XML_NS}lang``)."""
        holder = etree.Element("markup")
        for key, value in (attributes or {}).items():
            holder.set(key, value)
        holder.text = text
        for node in nodes:
            holder.append(copy.deepcopy(node))
        return cls(element=holder)

    @property
    def attributes(self) -> dict[str, str]:
        """The holding element's own attributes in document order (Clark names)."""
        return {str(key): str(value) for key, value in self.element.items()}

    def canonical(self) -> bytes:
        """The content and attributes (not the holding element's name) in canonical form."""
        holder = etree.Element("markup")
        for key, value in sorted(self.attributes.items()):  # sorted: stable generated prefixes
            holder.set(key, value)
        _copy_content(self.element, holder)
        return etree.tostring(holder, method="c14n", exclusive=True, with_comments=False)

    @property
    def text(self) -> str:
        """The content as plain text for display and length checks: tags dropped, ``<br/>`` a
        line break."""
        parts: list[str] = [self.element.text or ""]
        for node in self.element.iterdescendants():
            if isinstance(node.tag, str):
                if etree.QName(node).localname == "br":
                    parts.append("\n")
                parts.append(node.text or "")
            parts.append(node.tail or "")
        return "".join(parts)

    def __str__(self) -> str:
        return self.text


# --------------------------------------------------------------------------------------------------
# Reading plans, built once per class


@dataclass(slots=True)
class _Field:
    attr: str
    kind: Kind
    name: str
    ns: str | None
    type_ns: str | None
    many: bool
    required: bool
    index: int = 0
    model: type[XmlModel] | None = None
    choices: tuple[type[XmlModel], ...] = ()
    raw: bool = False
    catch_all: bool = False
    markup: bool = False


@dataclass(slots=True)
class _Plan:
    attributes: dict[str, _Field] = field(default_factory=dict)
    elements: list[_Field] = field(default_factory=list)
    text: _Field | None = None
    tag: _Field | None = None
    any: _Field | None = None
    namespace: _Field | None = None
    catch_all: _Field | None = None
    by_ns: dict[str | None, dict[str, _Field]] = field(default_factory=dict)

    def namespace_of(self, model: XmlModel, context_ns: str | None) -> str | None:
        if self.namespace is not None:
            return str(getattr(model, self.namespace.attr))
        return type(model).xml_ns or context_ns

    def table(self, ns: str | None) -> dict[str, _Field]:
        """Clark name → field, for children of an element whose models live in ``ns``."""
        found = self.by_ns.get(ns)
        if found is None:
            found = {}
            for f in self.elements:
                for tag in _field_tags(f, ns):
                    found[tag] = f
            self.by_ns[ns] = found
        return found


def _field_tags(f: _Field, ns: str | None) -> list[str]:
    if f.choices:
        return [
            f"{{{choice_ns}}}{choice.xml_tag}"
            for choice in f.choices
            for choice_ns in (choice.xml_namespaces or (choice.xml_ns,))
        ]
    if f.catch_all:
        return []
    element_ns = f.ns or ns
    return [f"{{{element_ns}}}{f.name}" if element_ns else f.name]


_PLANS: dict[type[XmlModel], _Plan] = {}


def _unwrap(annotation: Any) -> tuple[bool, bool, list[Any]]:
    """(many, optional, item types) of a field annotation."""
    many = False
    if get_origin(annotation) is list:
        many = True
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in (Union, types.UnionType):
        items = list(get_args(annotation))
    else:
        items = [annotation]
    optional = type(None) in items
    return many, optional, [item for item in items if item is not type(None)]


def _plan(cls: type[XmlModel]) -> _Plan:
    plan = _PLANS.get(cls)
    if plan is not None:
        return plan
    if not cls.__pydantic_complete__:
        cls.model_rebuild()  # resolve forward references (recursive models) before reading fields
    plan = _Plan()
    for attr, info in cls.model_fields.items():
        meta = next((m for m in info.metadata if isinstance(m, Xml)), Xml())
        many, optional, items = _unwrap(info.annotation)
        f = _Field(
            attr=attr,
            kind=meta.kind,
            name=meta.name
            or (_pascal(attr) if cls.xml_names == "pascal" else attr.replace("_", "-")),
            ns=meta.ns,
            type_ns=meta.type_ns,
            many=many,
            required=not (many or optional),
        )
        if meta.kind == "attribute":
            plan.attributes[f.name] = f
            continue
        if meta.kind in ("text", "tag", "namespace"):
            setattr(plan, meta.kind, f)
            continue
        models = [i for i in items if isinstance(i, type) and issubclass(i, XmlModel)]
        f.raw = RawXml in items
        f.markup = Markup in items
        f.catch_all = f.raw and meta.name is None
        if len(models) == 1 and models[0].xml_tag is None:
            f.model = models[0]
        elif models:
            f.choices = tuple(models)
        f.index = len(plan.elements)
        if f.catch_all:
            plan.catch_all = f
        if meta.kind == "any":
            plan.any = f
        else:
            plan.elements.append(f)
    _PLANS[cls] = plan
    return plan


# --------------------------------------------------------------------------------------------------
# Reading


def _read_model(
    cls: type[XmlModel], element: etree._Element, context_ns: str | None, source: str | None
) -> Any:
    plan = _plan(cls)
    qname = etree.QName(element)
    ns = qname.namespace if plan.namespace is not None else (cls.xml_ns or context_ns)
    values: dict[str, Any] = {}
    for key, value in element.attrib.items():
        attribute = plan.attributes.get(str(key))
        if attribute is None:
            if key in _IGNORED_ATTRIBUTES:
                continue
            raise content_error(f"unexpected attribute {key!r}", element, source)
        values[attribute.attr] = value
    table = plan.table(ns)
    last = -1
    wildcard = plan.any
    for child in element:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        f = table.get(str(tag))
        if f is None:
            if wildcard is not None and etree.QName(child).namespace == ns:
                values.setdefault(wildcard.attr, []).append(
                    _read_value(wildcard, child, ns, source)
                )
                continue
            if plan.catch_all is not None:
                f = plan.catch_all
            else:
                raise content_error(
                    f"unexpected element {etree.QName(child).localname!r} in {qname.localname!r}",
                    child,
                    source,
                )
        if f.index < last:
            raise content_error(
                f"element {etree.QName(child).localname!r} is out of order", child, source
            )
        if f.index == last and not f.many:
            raise content_error(
                f"element {etree.QName(child).localname!r} may occur only once", child, source
            )
        last = f.index
        value = _read_value(f, child, ns, source)
        if f.many:
            values.setdefault(f.attr, []).append(value)
        else:
            values[f.attr] = value
    if plan.text is not None:
        values[plan.text.attr] = element_text(element)
    elif (element.text and element.text.strip(_XML_SPACE)) or any(
        c.tail and c.tail.strip(_XML_SPACE) for c in element
    ):
        raise content_error(f"unexpected text in {qname.localname!r}", element, source)
    if plan.tag is not None:
        values[plan.tag.attr] = qname.localname
    if plan.namespace is not None:
        values[plan.namespace.attr] = qname.namespace
    for f in plan.elements:
        if f.required and f.attr not in values:
            raise content_error(
                f"required element {f.name!r} is missing in {qname.localname!r}", element, source
            )
    for f in plan.attributes.values():
        if f.required and f.attr not in values:
            raise content_error(
                f"required attribute {f.name!r} is missing on {qname.localname!r}", element, source
            )
    return cls.model_construct(**values)


def _read_value(f: _Field, child: etree._Element, ns: str | None, source: str | None) -> Any:
    if f.model is not None:
        # a named field matched the child in its own namespace; a wildcard only in ``ns``
        return _read_model(f.model, child, f.type_ns or f.ns or ns, source)
    if not f.choices and not f.raw and not f.markup and not len(child) and not child.attrib:
        text = child.text  # the common case: a leaf text element
        return text if text and text.strip(_XML_SPACE) else ""
    if f.choices:
        child_ns = etree.QName(child).namespace
        local = etree.QName(child).localname
        for choice in f.choices:
            if choice.xml_tag == local and child_ns in (choice.xml_namespaces or (choice.xml_ns,)):
                return _read_model(choice, child, child_ns, source)
    if f.raw:
        return RawXml.of(child)
    attributes = any(key not in _IGNORED_ATTRIBUTES for key in child.attrib)
    elements = any(isinstance(c.tag, str) for c in child)
    if f.markup and (attributes or elements):  # anyType: attributes and elements are content
        return Markup(element=detached_copy(child))
    if attributes:
        raise content_error(
            f"unexpected attribute on {etree.QName(child).localname!r}", child, source
        )
    if elements:
        raise content_error(
            f"element {etree.QName(child).localname!r} holds elements where text was expected",
            child,
            source,
        )
    return element_text(child)


# --------------------------------------------------------------------------------------------------
# Writing


def _write_model(model: XmlModel, element: etree._Element, context_ns: str | None) -> None:
    plan = _plan(type(model))
    ns = plan.namespace_of(model, context_ns)
    for f in plan.attributes.values():
        value = getattr(model, f.attr)
        if value is not None:
            element.set(f.name, str(value))
    if plan.text is not None:
        text = getattr(model, plan.text.attr)
        if text:
            element.text = str(text)
    for f in plan.elements:
        _write_field(model, f, element, ns)
    if plan.any is not None:
        _write_field(model, plan.any, element, ns)


def _write_field(model: XmlModel, f: _Field, element: etree._Element, ns: str | None) -> None:
    value = getattr(model, f.attr)
    if value is None:
        return
    items = value if f.many else (value,)
    for item in items:
        if isinstance(item, RawXml):
            _write_raw(element, item.element)
            continue
        if isinstance(item, XmlModel) and type(item).xml_tag is not None:
            item.write_element(element, context_ns=ns)
            continue
        if isinstance(item, XmlModel):
            element_ns = f.ns or ns
            name = f.name if f.kind != "any" else _tag_of(item)
            child = etree.SubElement(element, f"{{{element_ns}}}{name}" if element_ns else name)
            _write_model(item, child, f.type_ns or element_ns)
            continue
        element_ns = f.ns or ns
        tag = f"{{{element_ns}}}{f.name}" if element_ns else f.name
        if isinstance(item, Markup):
            _write_copy(element, item.element, tag)
            continue
        child = etree.SubElement(element, tag)
        if item:
            child.text = str(item)


def _write_raw(parent: etree._Element, source: etree._Element) -> None:
    """Append a copy of a carried document, its namespace bindings included."""
    copied = copy.deepcopy(source)
    parent.append(copied)
    written = copied.nsmap
    unset: dict[str | None, str] = {None: ""}  # no default namespace reads as xmlns=""
    if any(written.get(p, unset.get(p)) != uri for p, uri in source.nsmap.items()):
        # lxml merged a declaration into one of ``parent``'s for the same URI (``xmlns:mh`` for
        # MsgHead's namespace): declare the source's bindings on the element itself instead
        parent.remove(copied)
        _write_copy(parent, source, source.tag).tail = source.tail


def _write_copy(parent: etree._Element, source: etree._Element, tag: str) -> etree._Element:
    """Append a ``tag`` element with ``source``'s attributes and content, declaring the namespace
    bindings in scope at ``source`` that are not in scope at ``parent``."""
    nsmap: Any = source.nsmap
    child = etree.SubElement(parent, tag, nsmap=nsmap)
    for key, value in source.items():
        child.set(key, value)
    _copy_content(source, child)
    return child


def _copy_content(source: etree._Element, target: etree._Element) -> None:
    target.text = source.text
    for node in source:
        target.append(copy.deepcopy(node))


def _tag_of(model: XmlModel) -> str:
    tag = _plan(type(model)).tag
    if tag is None:
        raise TypeError(f"{type(model).__name__} has no TAG field to name its element")
    return str(getattr(model, tag.attr))
