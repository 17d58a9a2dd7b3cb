"""All 69 official examples through the validator: the known defects are found, nothing else is.

The reference's SOURCES.md documents four defects; reading HITS 1217 against the examples finds
more (the same ones `digidialog.codes.processes.EXAMPLE_DEVIATIONS` lists, and a few in the
appointments). Each expected finding below names the rule and why the example breaks it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from digidialog.validation import Severity, validate
from tests.conftest import OFFICIAL_SAMPLES, official_sample_paths

pytestmark = pytest.mark.reference

AVB = "DIALOG_INNBYGGER_AVTALEAVBESTILLING/1.0/Avbestill_time_-_"
AUT = "DIALOG_INNBYGGER_AVTALEUTSENDING/1.0/Avtaleutsending_-_Helsepersonell_-_"
BEH = "DIALOG_INNBYGGER_BEHANDLEROVERSIKT/1.1/Behandleroversikt_-_"
TST = "DIALOG_INNBYGGER_TEST/1.1/Kommunikasjonstest_-_"
ONS = "DIALOG_INNBYGGER_TIMEONSKE/1.2/Onske_om_"
RES = "DIALOG_INNBYGGER_TIMERESERVASJON/1.2/"

DOCUMENTED = {
    # SOURCES.md "Known content defects": each must be found.
    "DIALOG_INNBYGGER_EKONSULTASJON/1.2/"
    "Ekonsultasjon_-_Svar_helsepersonell_-_Svar_pa_sporsmal_fra_behandler.xml": {"DD073"},
    BEH + "Svar_helsepersonell_-_Behandlere.xml": {"DD073", "DD030"},
    "DIALOG_INNBYGGER_RESEPTFORNYELSE/1.2/Reseptfornying_-_Foresporsel_innbygger_-_Fritekst.xml": {
        "DD054"
    },
    RES + "Ledige_timer_-_Foresporsel_innbygger_-_Hent_ledige_timer.xml": {"DD030"},
}

FOUND_BEYOND = {
    # MsgInfo/Type DIALOG_INNBYGGER_AVTALEBESTILLING is not a code of 8279 (…AVTALEAVBESTILLING).
    AVB + "Foresporsel_innbygger_-_Avbestill_reservert_time.xml": {"DD071"},
    AVB + "Svar_helsepersonell_-_Avbestilling_av_time_bekreftet.xml": {"DD071"},
    AVB + "Svar_helsepersonell_-_Time_kunne_ikke_avbestilles.xml": {"DD071"},
    # The sender names one organisation level, §2.3.4 asks for two.
    AUT + "Avbestilling_av_time_bekreftet.xml": {"DD010"},
    RES + "Avtaleutsending_-_Helsepersonell_-_Avbestilling_av_time_bekreftet.xml": {"DD010"},
    # dtend (2017) before dtstart (2019); status COMPLETED is not a §2.8.8 value.
    AUT + "Melding_om_avtale.xml": {"DD082", "DD085"},
    RES + "Avtaleutsending_-_Helsepersonell_-_Melding_om_avtale.xml": {"DD082", "DD085"},
    # Synchronous services (§3.4.2, §3.4.4, §3.10, §3.11) must carry Ack V="N"; these say J.
    BEH + "Foresporsel_innbygger_-_Hent_behandlere.xml": {"DD030"},
    BEH + "Svar_helsepersonell_-_Behandlere_ikke_funnet.xml": {"DD030"},
    TST + "Foresporsel_Helsenorge.xml": {"DD030"},
    TST + "Foresporsel_helseaktor.xml": {"DD030"},
    TST + "Svar_Helsenorge.xml": {"DD030"},
    TST + "Svar_helseaktor.xml": {"DD030"},
    RES + "Ledige_timer_-_Svar_helsepersonell_-_Ingen_ledige_timer..xml": {"DD030"},
    RES + "Ledige_timer_-_Svar_helsepersonell_-_Ledige_timer.xml": {"DD030", "DD082"},
    RES + "Planlagte_timer_-_Foresporsel_innbygger_-_Hent_planlagte_timer.xml": {"DD030"},
    RES + "Planlagte_timer_-_Svar_helsepersonell_-_Bestilte_timer.xml": {"DD030"},
    RES + "Planlagte_timer_-_Svar_helsepersonell_-_Ingen_bestilte.xml": {"DD030"},
    # Timeønske: requests without KodetOpplysning (§3.5.1), replies without ConversationRef
    # (§2.3.3; they even reuse the request's MsgId), and dtend (2014) before dtstart (2019).
    ONS + "avbestilling_av_time_-_Foresporsel_innbygger_-_Onske_om_avbestilling_av_time.xml": {
        "DD054",
        "DD082",
    },
    ONS + "endring_av_time_-_Foresporsel_innbygger_-_Onske_om_endre_time.xml": {"DD054", "DD082"},
    ONS + "avbestilling_av_time_-_Svar_helsepersonell_-_Avbestilling_av_time_bekreftet.xml": {
        "DD004",
        "DD082",
    },
    ONS + "avbestilling_av_time_-_Svar_helsepersonell_-_Time_kunne_ikke_avbestilles.xml": {
        "DD004",
        "DD082",
    },
    ONS + "endring_av_time_-_Svar_helsepersonell_-_Endring_av_time_bekreftet.xml": {
        "DD004",
        "DD082",
    },
    ONS + "endring_av_time_-_Svar_helsepersonell_-_Time_kunne_ikke_endres.xml": {"DD004", "DD082"},
}

EXPECTED = {**FOUND_BEYOND, **DOCUMENTED}

WARNINGS_SEEN = {
    "DD012",  # the GP office named by ENH only on the enterprise level
    "DD055",  # communication-test replies quote the request
    "DD061",  # image/jpg for image/jpeg
    "DD084",  # appointment category "Konsultasjon"
}

PATHS = official_sample_paths()


def _key(path: Path) -> str:
    return path.relative_to(OFFICIAL_SAMPLES).as_posix()


@pytest.mark.parametrize("path", PATHS, ids=[_key(p) for p in PATHS])
def test_official_example(path: Path, reference: Path) -> None:
    report = validate(path)
    errors = {i.rule for i in report.issues if i.severity is Severity.ERROR}
    assert errors == EXPECTED.get(_key(path), set()), report.issues
    assert "XSD" not in errors  # every official example is schema-valid
    warnings = {i.rule for i in report.issues if i.severity is Severity.WARNING}
    assert warnings <= WARNINGS_SEEN


def test_there_are_69_examples(reference: Path) -> None:
    assert len(PATHS) == 69
    assert set(EXPECTED) <= {_key(p) for p in PATHS}
