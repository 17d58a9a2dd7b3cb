"""National identifiers: fødselsnummer, D- and H-numbers, HER-id, organisation number."""

from __future__ import annotations

import datetime

import pytest
from stdnum.no.fodselsnummer import calc_check_digit1, calc_check_digit2

from digidialog.codes import IdTypePerson
from digidialog.codes.identifiers import (
    InvalidIdentifierError,
    fodselsnummer,
    herid,
    kind,
    mask,
    orgnr,
    scheme_for,
)
from digidialog.errors import DigidialogError, Location


def with_check_digits(first9: str) -> str:
    """Complete nine digits into an 11-digit number with correct mod-11 check digits."""
    k1 = calc_check_digit1(first9)
    k2 = calc_check_digit2(first9 + k1)
    assert len(k1) == len(k2) == 1, "pick other individual digits: a check digit is 10"
    return first9 + k1 + k2


# Published example numbers (HITS 1217 §2.3, §3.9.2.1; python-stdnum docs) and built ones.
FNR = ["13116900216", "15076500565", "15108695088"]
DNR = with_check_digits("551086950")  # 15.10.1986 as a D-number: day + 40
HNR = with_check_digits("155086950")  # 15.10.1986 as an H-number: month + 40


@pytest.mark.parametrize("number", FNR)
def test_real_fodselsnumre_are_valid(number: str) -> None:
    assert fodselsnummer.is_valid(number)
    assert fodselsnummer.validate(number) == number
    assert kind(number) is IdTypePerson.FNR


def test_d_and_h_numbers() -> None:
    assert kind(DNR) is IdTypePerson.DNR
    assert kind(HNR) is IdTypePerson.HNR
    assert kind("41018036736") is IdTypePerson.DNR


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("13116900217", "check digits"),
        ("1311690021", "has 10 digits"),
        ("131169002160", "has 12 digits"),
        ("1311690021a", "other than digits"),
        ("131169 0216", "other than digits"),
        ("", "empty"),
        (with_check_digits("310286950"), "valid birth date"),  # 31 February
        (with_check_digits("811086950"), "FH-number"),
        (with_check_digits("555086950"), "both the D-number"),
    ],
)
def test_invalid_fodselsnumre_say_why(number: str, reason: str) -> None:
    assert not fodselsnummer.is_valid(number)
    with pytest.raises(InvalidIdentifierError, match=reason) as info:
        fodselsnummer.validate(number, location=Location(xpath="/MsgHead/MsgInfo/Patient/Ident/Id"))
    err = info.value
    assert isinstance(err, DigidialogError)
    assert err.value == number
    assert err.location.xpath == "/MsgHead/MsgInfo/Patient/Ident/Id"
    assert number[6:] not in str(err) or len(number) != 11  # the personal part never leaks


def test_birth_date_in_the_future_is_refused() -> None:
    soon = datetime.date.today() + datetime.timedelta(days=400)
    candidates = (f"{soon:%d%m%y}{i:03d}" for i in range(500, 1000))  # 2000-2039 series
    first9 = next(
        n
        for n in candidates
        if len(calc_check_digit1(n)) == 1 and len(calc_check_digit2(n + calc_check_digit1(n))) == 1
    )
    with pytest.raises(InvalidIdentifierError, match="future"):
        fodselsnummer.validate(with_check_digits(first9))


def test_kind_refuses_invalid_numbers() -> None:
    with pytest.raises(InvalidIdentifierError):
        kind("13116900217")


def test_mask() -> None:
    assert mask("13116900216") == "131169*****"
    assert mask("1311690021") == "**********"
    assert mask("abc") == "***"


@pytest.mark.parametrize("value", ["1", "93580", "8093248", "987654321"])
def test_valid_her_ids(value: str) -> None:
    assert herid.is_valid(value)
    assert herid.validate(value) == value


@pytest.mark.parametrize(
    ("value", "reason"),
    [("0123", "starts with 0"), ("1234567890", "at most 9"), ("12a", "other than"), ("", "empty")],
)
def test_invalid_her_ids(value: str, reason: str) -> None:
    assert not herid.is_valid(value)
    with pytest.raises(InvalidIdentifierError, match=reason):
        herid.validate(value)


def test_organisation_numbers() -> None:
    assert orgnr.is_valid("971318864")  # the HER office in the official examples
    assert orgnr.is_valid("974760673")  # Brønnøysundregistrene
    with pytest.raises(InvalidIdentifierError, match="check digit"):
        orgnr.validate("971318865")
    with pytest.raises(InvalidIdentifierError, match="has 8 digits"):
        orgnr.validate("97131886")
    with pytest.raises(InvalidIdentifierError, match="other than"):
        orgnr.validate("971 318 864")


def test_scheme_for_type_ids() -> None:
    assert scheme_for("FNR") is fodselsnummer
    assert scheme_for("DNR") is fodselsnummer
    assert scheme_for("HER") is herid
    assert scheme_for("ENH") is orgnr
    assert scheme_for("HPR") is None
