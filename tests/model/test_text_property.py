"""Property: any XML-legal text survives build → to_xml → parse exactly (blank text reads as '')."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

import digidialog
from digidialog.model import CodedValue, Dialogmelding, Document, MsgHead, Notat
from tests.model import builders

# XML 1.0 Char production minus surrogates
xml_text = st.text(
    alphabet=st.characters(
        exclude_categories=["Cs"],
        exclude_characters=[chr(c) for c in range(32) if c not in (9, 10, 13)]
        + ["\ufffe", "\uffff"],
    ),
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(tema=xml_text, dn=xml_text)
def test_text_and_attribute_values_round_trip(tema: str, dn: str) -> None:
    note = Notat(tema_kodet=CodedValue(v="12", dn=dn), tema=tema)
    message = builders.ekonsultasjon_reply(builders.ekonsultasjon_request())
    message.document = [Document.of(Dialogmelding(notat=[note]))]
    read = digidialog.parse(message.to_xml())
    assert isinstance(read, MsgHead)
    assert read.dialogmelding is not None
    [read_note] = read.dialogmelding.notat
    assert read_note.tema == (tema if tema.strip(" \t\r\n") else "")
    assert read_note.tema_kodet.dn == dn
