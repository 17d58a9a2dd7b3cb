"""XML namespaces of the standards digital dialog uses, by the names the standards give them, and
the two ways the project spells a name: Clark notation for lxml, and readable local-name paths
for people (parse errors, schema issues and business-rule findings all name places the same way).
"""

from __future__ import annotations

from typing import Final

from lxml import etree

MSGHEAD: Final = "http://www.kith.no/xmlstds/msghead/2006-05-24"
DIALOG_1_0: Final = "http://www.kith.no/xmlstds/dialog/2006-10-11"
DIALOG_1_1: Final = "http://www.kith.no/xmlstds/dialog/2013-01-23"
APPREC_1_0: Final = "http://www.kith.no/xmlstds/apprec/2004-11-21"
APPREC_1_1: Final = "http://www.kith.no/xmlstds/apprec/2012-02-15"
KITH: Final = "http://www.kith.no/xmlstds"
FELLESKOMPONENT1: Final = "http://www.kith.no/xmlstds/felleskomponent1"
BASE64: Final = "http://www.kith.no/xmlstds/base64container"
XCAL: Final = "urn:ietf:params:xml:ns:icalendar-2.0"
PASIENTRELASJON: Final = "http://www.kith.no/xmlstds/pasientrelasjon/2014-03-28"
PERSONER: Final = "http://www.kith.no/xmlstds/person/2014-03-28"
HELSEPERSONELL_2014: Final = "http://www.kith.no/xmlstds/helsepersonell/2014-03-28"
HELSEPERSONELL_2015: Final = "http://www.kith.no/xmlstds/helsepersonell/2015-05-04"
TJENESTEOVERSIKT: Final = "http://ehelse.no/xmlstds/tjenesteoversikt"
M1_2010: Final = "http://www.kith.no/xmlstds/eresept/m1/2010-05-01"
M1_2013: Final = "http://www.kith.no/xmlstds/eresept/m1/2013-10-08"
XSI: Final = "http://www.w3.org/2001/XMLSchema-instance"
DS: Final = "http://www.w3.org/2000/09/xmldsig#"


def qname(namespace: str, local: str) -> str:
    """Clark notation, as lxml spells a qualified name: ``{namespace}local``."""
    return f"{{{namespace}}}{local}"


def readable_path(node: etree._Element) -> str:
    """``/MsgHead/Document[2]/RefDoc``: local names, a position only where siblings share a tag.

    Prefixes are left out on purpose: they are the sender's choice and differ between files that
    carry the same information. A comment or processing instruction is shown as ``node()``.
    """
    steps: list[str] = []
    current: etree._Element | None = node
    while current is not None:
        tag = current.tag
        name = etree.QName(tag).localname if isinstance(tag, str) else "node()"
        parent = current.getparent()
        if parent is not None:
            same = [sibling for sibling in parent if sibling.tag == tag]
            if len(same) > 1:
                name = f"{name}[{same.index(current) + 1}]"
        steps.append(name)
        current = parent
    return "/" + "/".join(reversed(steps))
