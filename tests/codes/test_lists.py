"""Code lists: lookups by number/OID/short form, unknown codes, and agreement with the reference."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from digidialog.codes import (
    OID_PREFIX,
    CodeSystem,
    JaNei,
    Leveringsmate,
    SvarDigitalDialog,
    TypeForesporsel,
    UnknownCodeError,
    code,
    code_system,
    find_system,
    lookup,
    systems,
)
from digidialog.errors import DigidialogError
from tests.conftest import official_sample_paths

REQUIRED = [
    "8279",
    "7601",
    "7602",
    "7603",
    "8258",
    "8221",
    "8112",
    "9051",
    "8116",
    "9034",
    "9057",
    "8114",
    "1101",
    "8324",
    "7611",
    "7617",
]


def test_every_required_list_is_known_with_its_oid() -> None:
    numbers = {s.number for s in systems()}
    assert set(REQUIRED) <= numbers
    for s in systems():
        assert s.oid == f"2.16.578.1.12.4.1.1.{s.number}"
        assert s.name
        assert len(s) > 0
        assert s.enum.system is s
        assert all(c.oid == s.oid for c in s)


@pytest.mark.parametrize(
    "key", ["7601", "2.16.578.1.12.4.1.1.7601", "2.16.578.1.12.4.1.1. 7601", " 7601 "]
)
def test_code_system_accepts_number_oid_and_pdf_spacing(key: str) -> None:
    assert code_system(key) is find_system("7601")
    assert code_system(key).enum is TypeForesporsel


def test_short_form_used_by_examples_for_8324() -> None:
    assert lookup("8324", "AP") is Leveringsmate.AP
    assert Leveringsmate.AP.display_name == "Sendes til apoteket"


def test_member_is_its_value_and_carries_display_name() -> None:
    c = lookup(OID_PREFIX + "7602", "14")
    assert c is SvarDigitalDialog.RESEPT_ER_FORNYET
    value: str = "14"
    assert c == value  # a member compares equal to its XML value
    assert str(c) == "14"
    assert f"{c}" == "14"
    assert c.display_name == "Resept er fornyet"
    assert c.oid == "2.16.578.1.12.4.1.1.7602"
    assert JaNei("1").display_name == "Ja"


def test_unknown_code_in_known_system_is_none_not_dropped() -> None:
    assert lookup("7602", "99") is None
    assert lookup("7602", "") is None
    assert lookup("9999", "14") is None  # unknown system: also None


def test_strict_lookup_raises_naming_system_and_value() -> None:
    with pytest.raises(UnknownCodeError) as info:
        code("7602", "99")
    err = info.value
    assert isinstance(err, DigidialogError)
    assert err.system == "2.16.578.1.12.4.1.1.7602"
    assert err.value == "99"
    assert "7602" in str(err)
    assert "'99'" in str(err)
    with pytest.raises(UnknownCodeError, match="unknown code system '1234'"):
        code_system("1234")
    with pytest.raises(UnknownCodeError):
        code_system("2.16.578.1.12.4.1.1.1234")


def test_code_system_indexing_is_strict_and_get_is_lenient() -> None:
    s = code_system("1101")
    assert isinstance(s, CodeSystem)
    assert s["2"] is JaNei.NEI
    assert s.get("3") is None
    with pytest.raises(UnknownCodeError):
        s["3"]


@pytest.mark.reference
def test_values_and_display_names_match_the_reference_lists(reference: Path) -> None:
    data = json.loads((reference / "codelists" / "digital-dialog-codelists.json").read_text())
    for s in systems():
        expected = [(v["V"], v["DN"]) for v in data["codelists"][s.number]["values"]]
        assert [(str(c), c.display_name) for c in s] == expected, s.number


@pytest.mark.reference
def test_every_coded_value_in_the_official_examples_is_known(reference: Path) -> None:
    """Every V in a known system resolves; DN disagreements are exactly the documented defects."""
    unknown: Counter[tuple[str, str]] = Counter()
    wrong_dn: set[tuple[str, str, str]] = set()
    seen = 0
    for path in official_sample_paths():
        for el in etree.parse(str(path)).iter():
            system = find_system(el.get("S", "")) if el.get("V") is not None else None
            if system is None:
                continue
            seen += 1
            found = system.get(el.get("V", ""))
            if found is None:
                unknown[(system.number, el.get("V", ""))] += 1
            elif el.get("DN") not in (None, found.display_name):
                wrong_dn.add((system.number, str(found), path.name))
    assert seen > 300
    assert not unknown
    # SOURCES.md: eKonsultasjon answer written as 13, Behandlere written as 21 (DN of 12 / 20).
    assert wrong_dn == {
        ("7602", "13", "Ekonsultasjon_-_Svar_helsepersonell_-_Svar_pa_sporsmal_fra_behandler.xml"),
        ("7602", "21", "Behandleroversikt_-_Svar_helsepersonell_-_Behandlere.xml"),
    }
