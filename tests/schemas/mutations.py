"""Derive schema-test variants from valid messages: mostly invalid, some that stay valid.

Each `Variant` is one small, named change to a copy of a message. Which of them are invalid is not
decided here: the tests ask the official schema set for its verdict and require ours to agree, so a
mutation that happens to stay valid (removing an optional element, duplicating a repeatable one) is
as useful as one that breaks the message.

Not mutated, on purpose:
- anything inside a namespace our set does not declare (the M1 prescription carried in a
  renewal reply): our set validates such content only when the official set is added
  (see schemas/README.md);
- the direct children of MsgHead's RefDoc/Content for insertions and namespace changes: our Content
  is lax where the official one is strict, a documented, deliberate difference tested on its own.
"""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from digidialog.xml import namespaces as ns
from digidialog.xml.parser import parse_xml
from digidialog.xml.schema import readable_path

OUR_NAMESPACES = frozenset(
    {
        ns.MSGHEAD,
        ns.DIALOG_1_0,
        ns.DIALOG_1_1,
        ns.APPREC_1_0,
        ns.APPREC_1_1,
        ns.KITH,
        ns.FELLESKOMPONENT1,
        ns.BASE64,
        ns.XCAL,
        ns.PASIENTRELASJON,
        ns.PERSONER,
        ns.HELSEPERSONELL_2014,
        ns.HELSEPERSONELL_2015,
        ns.DS,
    }
)
WRONG_NAMESPACE = "urn:example:not-a-digital-dialog-namespace"
CONTENT = f"{{{ns.MSGHEAD}}}Content"

_DATE = re.compile(r"^\s*\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?\s*$")
_BAD_DATES = ("2020-13-01", "31.12.2020", "2020-02-30T10:00:00", "2020-01-01T25:61:00", "i morgen")
_BAD_OIDS = ("2.16.578.1.12.4.1.1..9051", "2.16.578.x", "oid:9051", "9051.")


@dataclass(frozen=True)
class Variant:
    """A mutated copy of ``source``; ``kind`` and ``detail`` say what was changed."""

    source: str
    kind: str
    detail: str
    tree: etree._ElementTree

    @property
    def id(self) -> str:
        return f"{self.source}::{self.kind}::{self.detail}"


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _namespace(element: etree._Element) -> str | None:
    return etree.QName(element).namespace


def _path(element: etree._Element) -> str:
    return readable_path(element).lstrip("/")


def mutable_elements(root: etree._Element) -> list[etree._Element]:
    """Elements in our namespaces whose ancestors are all in our namespaces too (no M1 content)."""
    found: list[etree._Element] = []

    def walk(element: etree._Element) -> None:
        if _namespace(element) not in OUR_NAMESPACES:
            return
        found.append(element)
        for child in element:
            if isinstance(child.tag, str):
                walk(child)

    walk(root)
    return found


def _at(tree: etree._ElementTree, path_index: int) -> etree._Element:
    """The element at document-order position ``path_index`` in a (copied) tree."""
    return list(tree.getroot().iter(tag=etree.Element))[path_index]


Mutation = Callable[[etree._ElementTree, int, random.Random], str | None]


def _remove(tree: etree._ElementTree, index: int, rng: random.Random) -> str | None:
    element = _at(tree, index)
    parent = element.getparent()
    if parent is None:
        return None
    parent.remove(element)
    return f"removed {_path(parent)}/{_local(element)}"


def _swap_with_next(tree: etree._ElementTree, index: int, rng: random.Random) -> str | None:
    element = _at(tree, index)
    following = element.getnext()
    while following is not None and not isinstance(following.tag, str):
        following = following.getnext()
    if following is None or following.tag == element.tag or element.getparent() is None:
        return None
    following.addnext(element)
    return f"moved {_path(element)} after {_local(following)}"


def _duplicate(tree: etree._ElementTree, index: int, rng: random.Random) -> str | None:
    element = _at(tree, index)
    if element.getparent() is None:
        return None
    element.addnext(copy.deepcopy(element))
    return f"duplicated {_path(element)}"


def _insert_unknown(tree: etree._ElementTree, index: int, rng: random.Random) -> str | None:
    element = _at(tree, index)
    if element.tag == CONTENT or len(element) == 0:
        return None
    unknown = etree.Element(f"{{{_namespace(element)}}}UkjentElement")
    unknown.text = "x"
    element.insert(rng.randrange(len(element) + 1), unknown)
    return f"unknown child in {_path(element)}"


def _wrong_namespace(tree: etree._ElementTree, index: int, rng: random.Random) -> str | None:
    element = _at(tree, index)
    parent = element.getparent()
    if parent is None or parent.tag == CONTENT:
        return None
    element.tag = f"{{{WRONG_NAMESPACE}}}{_local(element)}"
    return f"wrong namespace on {_path(element)}"


def _sibling_namespace(tree: etree._ElementTree, index: int, rng: random.Random) -> str | None:
    """Move an element to the other version's namespace (dialog 1.1 <-> 1.0, AppRec 1.1 <-> 1.0)."""
    element = _at(tree, index)
    parent = element.getparent()
    swap = {
        ns.DIALOG_1_1: ns.DIALOG_1_0,
        ns.DIALOG_1_0: ns.DIALOG_1_1,
        ns.APPREC_1_1: ns.APPREC_1_0,
        ns.APPREC_1_0: ns.APPREC_1_1,
    }
    other = swap.get(_namespace(element) or "")
    if other is None or parent is None or parent.tag == CONTENT:
        return None
    element.tag = f"{{{other}}}{_local(element)}"
    return f"other version's namespace on {_path(element)}"


def _bad_date(tree: etree._ElementTree, index: int, rng: random.Random) -> str | None:
    element = _at(tree, index)
    bad = rng.choice(_BAD_DATES)
    if element.text and _DATE.match(element.text) and len(element) == 0:
        element.text = bad
        return f"bad date {bad!r} in {_path(element)}"
    value = element.get("V")
    if value and _DATE.match(value):
        element.set("V", bad)
        return f"bad date {bad!r} in {_path(element)}/@V"
    return None


def _bad_code_value(tree: etree._ElementTree, index: int, rng: random.Random) -> str | None:
    """Break a value the schema constrains: OID pattern, fixed MIGversion, enumerated xCal freq."""
    element = _at(tree, index)
    if element.get("S") is not None:
        bad = rng.choice(_BAD_OIDS)
        element.set("S", bad)
        return f"bad OID {bad!r} in {_path(element)}/@S"
    if _local(element) == "MIGversion" and _namespace(element) == ns.MSGHEAD:
        element.text = "v1.3 2020-01-01"
        return "MIGversion other than the fixed value"
    if _local(element) == "freq" and _namespace(element) == ns.XCAL:
        element.text = "FORTNIGHTLY"
        return "freq outside the enumeration"
    return None


def _bad_value(tree: etree._ElementTree, index: int, rng: random.Random) -> str | None:
    """Break a typed leaf value: numbers, booleans, ranges, durations, UTC offsets, base64."""
    element = _at(tree, index)
    text = (element.text or "").strip()
    if len(element) or not text:
        return None
    if re.fullmatch(r"[+-]?\d+", text):
        bad = rng.choice(("tolv", "32", "13", "1.5"))
    elif re.fullmatch(r"[+-]?\d+\.\d+", text):
        bad = "nord"
    elif text in ("true", "false"):
        bad = "ja"
    elif re.fullmatch(r"[+-]?P[\dYMDTHSW]+", text):
        bad = rng.choice(("P2W", "1 time", "PT15X"))
    elif re.fullmatch(r"[+-]\d{2}:\d{2}", text):
        bad = "+0100"
    elif len(text) > 40 and re.fullmatch(r"[A-Za-z0-9+/=\s]+", text):
        bad = text[:-3] + "*=="
    else:
        return None
    element.text = bad
    return f"bad value {bad!r} in {_path(element)}"


def _unknown_attribute(tree: etree._ElementTree, index: int, rng: random.Random) -> str | None:
    element = _at(tree, index)
    parent = element.getparent()
    if parent is None or parent.tag == CONTENT:
        return None
    element.set("ukjent", "1")
    return f"unknown attribute on {_path(element)}"


def _empty_text(tree: etree._ElementTree, index: int, rng: random.Random) -> str | None:
    element = _at(tree, index)
    if len(element) or not (element.text and element.text.strip()):
        return None
    element.text = ""
    return f"emptied {_path(element)}"


def _text_in_element_only(tree: etree._ElementTree, index: int, rng: random.Random) -> str | None:
    element = _at(tree, index)
    if len(element) == 0 or element.tag == CONTENT:
        return None
    element[-1].tail = "løs tekst"
    return f"stray text in {_path(element)}"


MUTATIONS: dict[str, Mutation] = {
    "remove": _remove,
    "swap-order": _swap_with_next,
    "duplicate": _duplicate,
    "unknown-element": _insert_unknown,
    "wrong-namespace": _wrong_namespace,
    "other-version-namespace": _sibling_namespace,
    "bad-date": _bad_date,
    "bad-code-value": _bad_code_value,
    "bad-value": _bad_value,
    "unknown-attribute": _unknown_attribute,
    "empty-text": _empty_text,
    "stray-text": _text_in_element_only,
}


def variants(path: Path, *, per_kind: int = 3, seed: int = 1217) -> Iterator[Variant]:
    """Up to ``per_kind`` variants of each mutation kind for the message at ``path``.

    Deterministic: the same file and seed give the same variants. Targets are drawn from the
    elements in our namespaces (see `mutable_elements`).
    """
    original = parse_xml(path)
    everything = list(original.getroot().iter(tag=etree.Element))
    position = {id(e): i for i, e in enumerate(everything)}
    targets = [position[id(e)] for e in mutable_elements(original.getroot())]
    rng = random.Random(f"{seed}:{path.name}")
    for kind, mutate in MUTATIONS.items():
        made = 0
        seen: set[str] = set()
        for index in rng.sample(targets, len(targets)):
            if made >= per_kind:
                break
            tree = copy.deepcopy(original)
            detail = mutate(tree, index, rng)
            if detail is None or detail in seen:
                continue
            seen.add(detail)
            made += 1
            yield Variant(path.name, kind, detail, tree)
