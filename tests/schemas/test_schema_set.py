"""`digidialog.xml.schema`: compiling once, readable issues, offline loading, signatures.

These tests use only our own schemas and seeds; they run without ../shared/reference.
"""

from __future__ import annotations

import copy
import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import etree

from digidialog.errors import DigidialogError, UsageError
from digidialog.xml import namespaces as ns
from digidialog.xml.parser import parse_xml
from digidialog.xml.schema import SchemaLoadError, SchemaSet, default_schema_dir, readable_path
from tests.conftest import Tripwire, required
from tests.schemas.mutations import OUR_NAMESPACES

SEEDS = Path(__file__).parent / "seeds"


def seed(name: str) -> etree._ElementTree:
    return parse_xml(SEEDS / name)


def mh(local: str) -> str:
    return ns.qname(ns.MSGHEAD, local)


# ------------------------------------------------------------------------------------------------
# the set


def test_default_set_declares_every_namespace_we_handle() -> None:
    schema_set = SchemaSet.default()
    assert schema_set.namespaces == OUR_NAMESPACES
    assert all(path.parent == default_schema_dir() for path in schema_set.locations.values())


def test_sets_are_compiled_once_and_shared() -> None:
    assert SchemaSet.default() is SchemaSet.default()
    assert SchemaSet.load() is SchemaSet.default()


@pytest.mark.parametrize("name", sorted(p.name for p in SEEDS.glob("*.xml")))
def test_seeds_are_valid(name: str) -> None:
    tree = seed(name)
    assert SchemaSet.default().validate(tree) == []
    assert SchemaSet.default().is_valid(tree)


def test_an_element_can_be_validated_on_its_own() -> None:
    """A document inside Content validated alone; paths stay those of the whole document."""
    tree = seed("msghead-dialog-1.0.xml")
    dialog = tree.find(f".//{{{ns.DIALOG_1_0}}}Dialogmelding")
    assert dialog is not None
    assert SchemaSet.default().validate(dialog) == []
    notat = dialog.find(f"{{{ns.DIALOG_1_0}}}Notat")
    assert notat is not None
    notat.remove(notat[0])  # TemaKodet is required
    issues = SchemaSet.default().validate(dialog)
    assert [i.xpath for i in issues] == [
        "/MsgHead/Document[1]/RefDoc/Content/Dialogmelding/Notat/Tema"
    ]


# ------------------------------------------------------------------------------------------------
# readable issues


def test_issue_names_element_expectation_line_and_path() -> None:
    tree = seed("msghead-dialog-1.0.xml")
    info = tree.getroot()[0]
    info.remove(required(info.find(mh("GenDate"))))
    issues = SchemaSet.default().validate(tree)
    assert len(issues) == 1
    issue = issues[0]
    assert issue.message == "Element 'MsgId': This element is not expected here; expected GenDate."
    assert issue.xpath == "/MsgHead/MsgInfo/MsgId"
    msg_id = required(info.find(mh("MsgId")))
    assert issue.line == msg_id.sourceline  # type: ignore[comparison-overlap]  # lxml-stubs: Ellipsis
    assert str(issue) == f"line {issue.line} /MsgHead/MsgInfo/MsgId: {issue.message}"


def test_bad_value_is_reported_once_with_its_value() -> None:
    tree = seed("msghead-dialog-1.0.xml")
    required(tree.getroot()[0].find(mh("GenDate"))).text = "2026-02-30T10:00:00"
    issues = SchemaSet.default().validate(tree)
    assert len(issues) == 1
    assert "GenDate" in issues[0].message
    assert "'2026-02-30T10:00:00'" in issues[0].message
    assert "{" not in issues[0].message


def test_enumeration_message_drops_libxml2_facet_tags() -> None:
    tree = seed("msghead-xcal.xml")
    freq = next(e for e in tree.iter(tag=etree.Element) if etree.QName(e).localname == "freq")
    freq.text = "FORTNIGHTLY"
    (issue,) = SchemaSet.default().validate(tree)
    assert "[facet" not in issue.message
    assert "FORTNIGHTLY" in issue.message
    assert "WEEKLY" in issue.message
    assert issue.xpath is not None
    assert issue.xpath.endswith("/rrule/recur/freq")


def test_wrong_namespace_is_shown_against_the_expected_one() -> None:
    tree = seed("msghead-dialog-1.0.xml")
    info = tree.getroot()[0]
    info.tag = "{urn:example:wrong}MsgInfo"
    (issue,) = SchemaSet.default().validate(tree)
    assert "{urn:example:wrong}MsgInfo" in issue.message
    assert "mh:MsgInfo" in issue.message


def test_explain_gives_reasons_for_invalid_files_and_nothing_for_valid_ones() -> None:
    tree = seed("apprec-1.1.xml")
    assert SchemaSet.default().explain(tree) == []
    broken = copy.deepcopy(tree)
    root = broken.getroot()
    root.remove(required(root.find(ns.qname(ns.APPREC_1_1, "Status"))))
    required(root.find(ns.qname(ns.APPREC_1_1, "GenDate"))).text = "i går"
    explained = SchemaSet.default().explain(broken)
    assert any(i.xpath == "/AppRec/GenDate" and "i går" in i.message for i in explained)
    assert any("Status" in i.message for i in explained)
    assert all(i.line is not None for i in explained)


# ------------------------------------------------------------------------------------------------
# XML-DSig inside MsgHead


def test_signature_as_last_msghead_child_validates(signed: etree._Element) -> None:
    assert signed[-1].tag == ns.qname(ns.DS, "Signature")
    assert SchemaSet.default().validate(signed) == []


@pytest.mark.parametrize("position", [0, 1])
def test_signature_elsewhere_is_rejected(signed: etree._Element, position: int) -> None:
    signature = signed[-1]
    signed.insert(position, signature)
    issues = SchemaSet.default().validate(signed)
    assert issues
    assert "Signature" in issues[0].message


def test_signature_inside_msginfo_is_rejected(signed: etree._Element) -> None:
    signed[0].append(signed[-1])
    issues = SchemaSet.default().validate(signed)
    assert [i.xpath for i in issues] == ["/MsgHead/MsgInfo/Signature"]


def test_broken_signature_structure_is_rejected(signed: etree._Element) -> None:
    signed_info = signed[-1][0]
    signed_info.remove(signed_info[0])  # CanonicalizationMethod is required
    (issue,) = SchemaSet.default().validate(signed)
    assert issue.xpath == "/MsgHead/Signature/SignedInfo/SignatureMethod"


# ------------------------------------------------------------------------------------------------
# loading: offline, catalogs, errors


@pytest.fixture
def schema_tripwire(tripwire: Tripwire) -> Tripwire:
    """The tripwire serving a valid schema: a refusal is for where it is, not for what it holds."""
    tripwire.body = (
        b'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:b"/>'
    )
    return tripwire


def _importing_schema(directory: Path, url: str) -> None:
    directory.mkdir(exist_ok=True)
    (directory / "a.xsd").write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:a"'
        ' xmlns:b="urn:b" elementFormDefault="qualified">'
        f'<xs:import namespace="urn:b" schemaLocation="{url}"/>'
        '<xs:element name="A"/></xs:schema>',
        encoding="utf-8",
    )


def test_remote_import_without_catalog_entry_is_refused_not_downloaded(
    tmp_path: Path, schema_tripwire: Tripwire
) -> None:
    url = f"{schema_tripwire.url}/b.xsd"
    _importing_schema(tmp_path / "extra", url)
    with pytest.raises(SchemaLoadError) as caught:
        SchemaSet.with_extra([tmp_path / "extra"])
    assert url in caught.value.message
    assert "catalog.xml" in (caught.value.hint or "")
    assert isinstance(caught.value, UsageError)
    assert isinstance(caught.value, DigidialogError)
    assert schema_tripwire.requests == []


def test_remote_import_mapped_by_the_directory_catalog_loads_locally(
    tmp_path: Path, schema_tripwire: Tripwire
) -> None:
    url = f"{schema_tripwire.url}/b.xsd"
    extra = tmp_path / "extra"
    _importing_schema(extra, url)
    (extra / "local").mkdir()
    (extra / "local" / "b.xsd").write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:b">'
        '<xs:element name="B" type="xs:int"/></xs:schema>',
        encoding="utf-8",
    )
    (extra / "catalog.xml").write_text(
        '<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">'
        f'<uri name="{url}" uri="local/b.xsd"/></catalog>',
        encoding="utf-8",
    )
    joined = SchemaSet.with_extra([extra])
    assert {"urn:a", "urn:b"} <= joined.namespaces
    assert joined.validate(etree.fromstring(b'<B xmlns="urn:b">7</B>')) == []
    assert joined.validate(etree.fromstring(b'<B xmlns="urn:b">sju</B>'))
    assert schema_tripwire.requests == []


def test_missing_directory_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(SchemaLoadError, match="schema directory not found"):
        SchemaSet.with_extra([tmp_path / "nowhere"])


def test_directory_without_schemas_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SchemaLoadError, match=r"no \.xsd files"):
        SchemaSet.with_extra([tmp_path])


def test_broken_schema_names_the_problem_the_file_and_the_line(tmp_path: Path) -> None:
    (tmp_path / "bad.xsd").write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:bad">\n'
        '<xs:element name="X" type="xs:nosuchtype"/></xs:schema>',
        encoding="utf-8",
    )
    with pytest.raises(SchemaLoadError, match="does not compile") as caught:
        SchemaSet.with_extra([tmp_path])
    assert "nosuchtype" in caught.value.message
    assert caught.value.location.source == str(tmp_path / "bad.xsd")
    assert caught.value.location.line == 2


def test_unknown_construct_in_a_schema_is_named(tmp_path: Path) -> None:
    (tmp_path / "odd.xsd").write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:odd">'
        "<xs:elementt/></xs:schema>",
        encoding="utf-8",
    )
    with pytest.raises(SchemaLoadError, match="content is not valid") as caught:
        SchemaSet.with_extra([tmp_path])
    assert caught.value.location.source == str(tmp_path / "odd.xsd")
    assert caught.value.location.xpath == "/xs:schema/xs:elementt"


def test_missing_local_import_is_refused_not_skipped(tmp_path: Path) -> None:
    """libxml2 only warns about an import it cannot find; the set would then be incomplete."""
    (tmp_path / "a.xsd").write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:a">'
        '<xs:import namespace="urn:z" schemaLocation="z.xsd"/>'
        '<xs:element name="A"/></xs:schema>',
        encoding="utf-8",
    )
    with pytest.raises(SchemaLoadError, match=r"z\.xsd") as caught:
        SchemaSet.with_extra([tmp_path])
    assert caught.value.location.source == str(tmp_path / "a.xsd")


def test_missing_include_names_the_including_file(tmp_path: Path) -> None:
    (tmp_path / "m.xsd").write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:m">'
        '<xs:include schemaLocation="part.xsd"/></xs:schema>',
        encoding="utf-8",
    )
    with pytest.raises(SchemaLoadError, match=r"part\.xsd") as caught:
        SchemaSet.with_extra([tmp_path])
    assert caught.value.location.source == str(tmp_path / "m.xsd")
    assert caught.value.location.xpath == "/xs:schema/xs:include"


def test_malformed_catalog_is_named_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "a.xsd").write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:a"/>',
        encoding="utf-8",
    )
    (tmp_path / "catalog.xml").write_text("<catalog>\n<uri", encoding="utf-8")
    with pytest.raises(UsageError, match="cannot read XML catalog") as caught:
        SchemaSet.with_extra([tmp_path])
    assert caught.value.location.source == str(tmp_path / "catalog.xml")
    assert caught.value.location.line == 2


def test_directory_of_files_that_are_not_schemas_is_refused(tmp_path: Path) -> None:
    (tmp_path / "page.xsd").write_text("<html/>", encoding="utf-8")
    with pytest.raises(SchemaLoadError, match=r"none of the 1 \.xsd files"):
        SchemaSet.with_extra([tmp_path])


def test_utf16_schema_file_loads(tmp_path: Path) -> None:
    (tmp_path / "u.xsd").write_bytes(
        '<?xml version="1.0" encoding="UTF-16"?>'
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:u">'
        '<xs:element name="U" type="xs:int"/></xs:schema>'.encode("utf-16")
    )
    joined = SchemaSet.with_extra([tmp_path])
    assert joined.validate(etree.fromstring(b'<U xmlns="urn:u">1</U>')) == []
    (issue,) = joined.validate(etree.fromstring(b'<U xmlns="urn:u">en</U>'))
    assert "'en'" in issue.message


def test_malformed_schema_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "bad.xsd").write_text("<xs:schema", encoding="utf-8")
    with pytest.raises(SchemaLoadError, match="cannot read schema") as caught:
        SchemaSet.with_extra([tmp_path])
    assert caught.value.location.source == str(tmp_path / "bad.xsd")


def test_only_extra_directories_need_at_least_one() -> None:
    with pytest.raises(SchemaLoadError):
        SchemaSet.load(own=False)


def test_readable_path_uses_local_names_and_positions_only_where_names_repeat() -> None:
    root = etree.fromstring(
        b'<m:A xmlns:m="urn:m"><m:B/><m:C/><m:C><x:D xmlns:x="urn:x"/><!-- c --></m:C></m:A>'
    )
    assert readable_path(root) == "/A"
    assert readable_path(root[0]) == "/A/B"
    assert readable_path(root[2]) == "/A/C[2]"
    assert readable_path(root[2][0]) == "/A/C[2]/D"
    assert readable_path(root[2][1]) == "/A/C[2]/node()"


def test_unknown_root_is_one_readable_issue() -> None:
    (issue,) = SchemaSet.default().validate(etree.fromstring(b'<Melding xmlns="urn:example"/>'))
    assert issue.message == (
        "Element 'Melding': Not a document this schema set knows "
        "(no declaration for this root element)."
    )
    assert issue.xpath == "/Melding"


def test_schema_directory_can_be_overridden(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "only.xsd").write_bytes((default_schema_dir() / "base64container.xsd").read_bytes())
    monkeypatch.setenv("DIGIDIALOG_SCHEMAS", str(tmp_path))
    assert SchemaSet.default().namespaces == {ns.BASE64}
    monkeypatch.delenv("DIGIDIALOG_SCHEMAS")
    assert SchemaSet.default().namespaces == OUR_NAMESPACES


@pytest.mark.tools
def test_wrapper_lets_xmllint_give_the_same_verdict(tmp_path: Path) -> None:
    if shutil.which("xmllint") is None:
        pytest.skip("xmllint is not installed")
    wrapper = tmp_path / "all.xsd"
    wrapper.write_bytes(SchemaSet.default().wrapper_xsd())
    broken = seed("apprec-1.1.xml")
    required(broken.getroot().find(ns.qname(ns.APPREC_1_1, "GenDate"))).text = "i går"
    (tmp_path / "broken.xml").write_bytes(etree.tostring(broken))
    good = subprocess.run(
        ["xmllint", "--noout", "--nonet", "--schema", str(wrapper), *map(str, SEEDS.glob("*.xml"))],
        capture_output=True,
        check=False,
    )
    assert good.returncode == 0, good.stderr
    bad = subprocess.run(
        ["xmllint", "--noout", "--nonet", "--schema", str(wrapper), str(tmp_path / "broken.xml")],
        capture_output=True,
        check=False,
    )
    assert bad.returncode == 3
    assert b"GenDate" in bad.stderr
