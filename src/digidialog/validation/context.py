"""Per-message state shared by the business rules: the tree and the few lookups every rule needs.

Built once per message; rules read it and never parse or copy the tree again.
"""

from __future__ import annotations

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
_REFDOC = ns.qname(ns.MSGHEAD, "RefDoc")
_CONTENT = ns.qname(ns.MSGHEAD, "Content")


def readable_path(element: etree._Element) -> str:
    """An XPath a person can read: local names, with a position only where siblings share a tag."""
    steps: list[str] = []
    node: etree._Element | None = element
    while node is not None:
        tag = node.tag
        name = etree.QName(tag).localname if isinstance(tag, str) else "node()"
        parent = node.getparent()
        if parent is not None:
            same = [sibling for sibling in parent if sibling.tag == tag]
            if len(same) > 1:
                name = f"{name}[{same.index(node) + 1}]"
        steps.append(name)
        node = parent
    return "/" + "/".join(reversed(steps))


def _child(parent: etree._Element | None, local: str) -> etree._Element | None:
    """The first child ``local`` of a Dialogmelding part, in the namespace of ``parent``."""
    if parent is None:
        return None
    return parent.find(f"{{{etree.QName(parent).namespace}}}{local}")


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

    @classmethod
    def build(cls, root: etree._Element, kind: str) -> Context:
        context = cls(root, kind)
        if kind == "msghead":
            context._read_msghead()
        return context

    def _read_msghead(self) -> None:
        root = self.root
        self.msginfo = root.find(_MSGINFO)
        type_element = self.msginfo.find(_TYPE) if self.msginfo is not None else None
        self.msg_type = type_element.get("V", "") if type_element is not None else ""
        self.process = find_process(self.msg_type)
        self.documents = list(root.iterchildren(_DOCUMENT))
        for index, document in enumerate(self.documents):
            refdoc = document.find(_REFDOC)
            holder = refdoc.find(_CONTENT) if refdoc is not None else None
            for content in holder.iterchildren(tag=etree.Element) if holder is not None else ():
                self.contents.append(content)
                if self.dialog is None and content.tag in _DIALOG_TAGS:
                    self.dialog, self.dialog_index = content, index
        self.foresporsel = _child(self.dialog, "Foresporsel")
        self.notat = _child(self.dialog, "Notat")
        type_foresp = _child(self.foresporsel, "TypeForesp")
        tema_kodet = _child(self.notat, "TemaKodet")
        self.type_foresp = type_foresp.get("V") if type_foresp is not None else None
        self.tema_kodet = tema_kodet.get("V") if tema_kodet is not None else None
        if self.process is not None and (self.type_foresp or self.tema_kodet):
            self.classification = classify(
                self.msg_type, type_foresp=self.type_foresp, tema_kodet=self.tema_kodet
            )

    @property
    def is_reply(self) -> bool:
        """A reply answers an earlier message: digital dialog always answers with a Notat (§2.4.1)."""
        return self.notat is not None

    def issue(self, rule_id: str, element: etree._Element | None, message: str) -> Issue:
        """An issue of ``rule_id`` at ``element`` (line and readable XPath), severity from the rule."""
        rule = RULES[rule_id]
        if element is None:
            return Issue(rule_id, rule.severity, message)
        line = element.sourceline if isinstance(element.sourceline, int) else None
        return Issue(rule_id, rule.severity, message, line, readable_path(element))
