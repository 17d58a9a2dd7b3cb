"""Per-message state shared by the business rules: the tree and the few lookups every rule needs.

Built once per message; rules read it and never parse or copy the tree again.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from digidialog.codes.processes import Classification, Process, classify, find_process
from digidialog.validation.registry import RULES
from digidialog.validation.report import Issue
from digidialog.xml import namespaces as ns

_MSGINFO = ns.qname(ns.MSGHEAD, "MsgInfo")
_TYPE = ns.qname(ns.MSGHEAD, "Type")
_DOCUMENT = ns.qname(ns.MSGHEAD, "Document")
_DIALOG_TAGS = (ns.qname(ns.DIALOG_1_1, "Dialogmelding"), ns.qname(ns.DIALOG_1_0, "Dialogmelding"))
_CONTENT = ns.qname(ns.MSGHEAD, "Content")
_DIALOGS = "dialogs"
"""The group of both Dialogmelding versions, in document order."""


ProcessKey = tuple[str, str | None, str | None, bool]
"""MsgInfo/Type, TypeForesp, TemaKodet and whether the message is a reply (see `process_key`)."""

# What ``.tag`` is on comment, PI and entity nodes, the children that split an element's text.
# The index walk gathers them like declared tags, at no extra cost, and sets `Context.plain`.
_COMMENT: object = etree.Comment
_PI: object = etree.ProcessingInstruction
_ENTITY: object = etree.Entity
_INDEXED: set[object] = {_COMMENT, _PI, _ENTITY}
_GROUP_OF: dict[str, str] = {}
_NONE: tuple[etree._Element, ...] = ()


def indexed(*tags: str, group: str | None = None) -> tuple[str, ...]:
    """Declare element tags (Clark names) rules read through `Context.all`; returns ``tags``.

    `Context.build` gathers every declared tag in one pass over the tree, so a rule finds its
    elements by dictionary lookup instead of its own tree walk. (A plain walk with a set lookup
    beats lxml's multi-tag filter, which slows down with many tags.) Tags declared with a
    ``group`` are also gathered together, in document order, for `Context.group`.
    """
    _INDEXED.update(tags)
    if group is not None:
        _GROUP_OF.update(dict.fromkeys(tags, group))
    return tags


def element_text(element: etree._Element) -> str | None:
    """The value of a simple-typed element, not stripped: every text node of it joined.

    ``element.text`` is only the text before the first child, and the only children a
    simple-typed element can have are comments and processing instructions: ``131169<!---->00216``
    holds the value ``13116900216``. This joins the text and the tails of the children, as the
    codec's `digidialog.model.base.element_text` reads it (which also maps blank text to '';
    the rules strip what they read). Rules read ``element.text`` instead when `Context.plain`
    says the message holds no comment or PI: ``(e.text if ctx.plain else element_text(e)) or ""``.
    """
    if not len(element):
        return element.text
    return (element.text or "") + "".join(child.tail or "" for child in element)


@functools.lru_cache(maxsize=1024)
def classification_of(
    msg_type: str, type_foresp: str | None, tema_kodet: str | None
) -> Classification | None:
    """`classify` is pure and a batch repeats a few combinations: each is worked out once."""
    return classify(msg_type, type_foresp=type_foresp, tema_kodet=tema_kodet)


def _document_of(element: etree._Element) -> etree._Element | None:
    node: etree._Element | None = element
    while node is not None and node.tag != _DOCUMENT:
        node = node.getparent()
    return node


@dataclass(slots=True)
class Context:
    """One message under validation. ``kind`` is 'msghead', 'apprec' or 'other'.

    For a MsgHead the facts most rules need are worked out once here: the process (MsgInfo/Type),
    the Documents, the Dialogmelding and its first Foresporsel / Notat with their codes, and where
    the message sits in the HITS 1217 catalogue.
    """

    root: etree._Element
    kind: str
    msginfo: etree._Element | None = None
    msg_type: str = ""
    process: Process | None = None
    documents: list[etree._Element] = field(default_factory=list)
    contents: list[etree._Element] = field(default_factory=list)
    """The root element inside each Document's RefDoc/Content (None-free; in Document order)."""
    dialog: etree._Element | None = None
    dialog_index: int = -1
    """Position of the Document that holds the Dialogmelding (0 = first), -1 when none."""
    foresporsel: etree._Element | None = None
    notat: etree._Element | None = None
    type_foresp: str | None = None
    tema_kodet: str | None = None
    classification: Classification | None = None
    cache: dict[str, Any] = field(default_factory=dict)
    """Work several rules share (e.g. the coded elements), done once on first use."""
    index: dict[str, list[etree._Element]] = field(default_factory=dict)
    """Declared tag -> its elements in document order (see `indexed`)."""
    groups: dict[str, list[etree._Element]] = field(default_factory=dict)
    """Group name -> the elements of its tags in document order (see `indexed`)."""
    plain: bool = True
    """The tree holds no comment, PI or entity node, so every element's ``.text`` is its whole
    text; else the rules read values with `element_text`. (The index walk notes those nodes at no
    cost; a call per value read would cost the usual message ≈ 0.5 % of the rules' time.)"""

    @classmethod
    def build(cls, root: etree._Element, kind: str) -> Context:
        context = cls(root, kind)
        index, groups = context.index, context.groups
        wanted, group_of = _INDEXED, _GROUP_OF
        for element in root.iter():
            tag = element.tag
            if tag in wanted:
                found = index.get(tag)
                if found is None:
                    index[tag] = [element]
                else:
                    found.append(element)
                group = group_of.get(tag)
                if group is not None:
                    groups.setdefault(group, []).append(element)
        if _COMMENT in index or _PI in index or _ENTITY in index:
            context.plain = False
        if kind == "msghead":
            context._read_msghead()
            if context.msginfo is None:  # only a tree nobody schema-checked lacks MsgInfo
                context.kind = "other"
        return context

    def _read_msghead(self) -> None:
        msginfo = self.all(_MSGINFO)
        self.msginfo = msginfo[0] if msginfo else None
        types = [t for t in self.all(_TYPE) if t.getparent() is self.msginfo]
        self.msg_type = types[0].get("V", "") if types else ""
        self.process = find_process(self.msg_type)
        self.documents = list(self.all(_DOCUMENT))
        for holder in self.all(_CONTENT):
            self.contents.extend(holder.iterchildren(tag=etree.Element))
        dialogs = self.group(_DIALOGS)
        if dialogs:
            # The first in document order, whatever its version (§2.3.7: the Dialogmelding goes
            # in the first Document); source lines would tie on a one-line message.
            self.dialog = dialogs[0]
            document = _document_of(self.dialog)
            self.dialog_index = self.documents.index(document) if document is not None else -1
            namespace = self.dialog.tag[: self.dialog.tag.index("}") + 1]
            self.foresporsel = self._child(namespace + "Foresporsel", self.dialog)
            self.notat = self._child(namespace + "Notat", self.dialog)
            type_foresp = self._child(namespace + "TypeForesp", self.foresporsel)
            tema_kodet = self._child(namespace + "TemaKodet", self.notat)
            self.type_foresp = type_foresp.get("V") if type_foresp is not None else None
            self.tema_kodet = tema_kodet.get("V") if tema_kodet is not None else None
        if self.process is not None and (self.type_foresp or self.tema_kodet):
            self.classification = classification_of(
                self.msg_type, self.type_foresp, self.tema_kodet
            )

    def _child(self, tag: str, parent: etree._Element | None) -> etree._Element | None:
        """The first indexed ``tag`` directly below ``parent``."""
        if parent is None:
            return None
        return next((e for e in self.all(tag) if e.getparent() is parent), None)

    def all(self, tag: str) -> list[etree._Element] | tuple[etree._Element, ...]:
        """Every element ``tag`` (declared with `indexed`) in document order."""
        return self.index.get(tag, _NONE)

    def group(self, name: str) -> list[etree._Element] | tuple[etree._Element, ...]:
        """Every element of group ``name`` (declared with `indexed`) in document order."""
        return self.groups.get(name, _NONE)

    @property
    def process_key(self) -> ProcessKey:
        """What places the message in the catalogue: MsgInfo/Type, TypeForesp, TemaKodet and
        whether it is a reply; `classification_of` the first three gives `classification`."""
        return self.msg_type, self.type_foresp, self.tema_kodet, self.is_reply

    @property
    def is_reply(self) -> bool:
        """A reply answers an earlier message; digital dialog answers with a Notat (§2.4.1)."""
        return self.notat is not None

    def issue(self, rule_id: str, element: etree._Element | None, message: str) -> Issue:
        """An issue of ``rule_id`` at ``element`` (line, readable XPath); severity from the rule."""
        rule = RULES[rule_id]
        if element is None:
            return Issue(rule_id, rule.severity, message)
        line = element.sourceline if isinstance(element.sourceline, int) else None
        return Issue(rule_id, rule.severity, message, line, ns.readable_path(element))


indexed(
    _MSGINFO,
    _TYPE,
    _DOCUMENT,
    _CONTENT,
    *(
        ns.qname(namespace, local)
        for namespace in (ns.DIALOG_1_1, ns.DIALOG_1_0)
        for local in ("Foresporsel", "Notat", "TypeForesp", "TemaKodet")
    ),
)
indexed(*_DIALOG_TAGS, group=_DIALOGS)
