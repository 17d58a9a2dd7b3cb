"""Volven code lists used in digital dialog, as typed enums.

Generated once from the Volven code lists (NorskHelsenett/kith-visningsfiler kodeverk.xsl,
2025-06-03) and maintained by hand since. Values (V) and display names (DN) are verbatim;
member names are the value where it is a mnemonic, otherwise derived from the display name.
Code list 8279 holds the DIALOG_* values, APPREC and AMQP_SOAP_FAULT only.
"""

from __future__ import annotations

from digidialog.codes.base import Code, CodeSystem, register


class MeldingensFunksjon(Code):
    """8279 Meldingens funksjon."""

    AMQP_SOAP_FAULT = "AMQP_SOAP_FAULT", "AMQP SOAP Fault"
    APPREC = "APPREC", "Applikasjonskvittering"
    DIALOG = "DIALOG", "EPJhode - dialog"
    DIALOG_AVVIK = "DIALOG_AVVIK", "Tilbakemelding om feil i mottatt melding"
    DIALOG_FORESPORSEL = "DIALOG_FORESPORSEL", "Forespørsel"
    DIALOG_FORSIKRING = "DIALOG_FORSIKRING", "Dialog forsikring"
    DIALOG_HELSEFAGLIG = "DIALOG_HELSEFAGLIG", "Helsefaglig dialog"
    DIALOG_INNBYGGER_AVTALEUTSENDING = (
        "DIALOG_INNBYGGER_AVTALEUTSENDING",
        "Dialog med innbygger – avtaleutsending",
    )
    DIALOG_INNBYGGER_BEHANDLEROVERSIKT = (
        "DIALOG_INNBYGGER_BEHANDLEROVERSIKT",
        "Benyttes til prosess for å hente behandler",
    )
    DIALOG_INNBYGGER_DIGITALBRUKER = (
        "DIALOG_INNBYGGER_DIGITALBRUKER",
        "Dialog med innbygger - digital bruker",
    )
    DIALOG_INNBYGGER_EKONSULTASJON = (
        "DIALOG_INNBYGGER_EKONSULTASJON",
        "Dialog med innbygger - eKonsultasjon",
    )
    DIALOG_INNBYGGER_EKONTAKT = "DIALOG_INNBYGGER_EKONTAKT", "Dialog med innbygger - eKontakt"
    DIALOG_INNBYGGER_FINN_DOKUMENTER = (
        "DIALOG_INNBYGGER_FINN_DOKUMENTER",
        "Dialog med innbygger - finn dokument",
    )
    DIALOG_INNBYGGER_HELSEPERSONELL = (
        "DIALOG_INNBYGGER_HELSEPERSONELL",
        "Dialog mellom innbygger og helsepersonell",
    )
    DIALOG_INNBYGGER_HELSEREGISTER = (
        "DIALOG_INNBYGGER_HELSEREGISTER",
        "Dialog mellom innbygger og helseregister",
    )
    DIALOG_INNBYGGER_HENT_DOKUMENTER = (
        "DIALOG_INNBYGGER_HENT_DOKUMENTER",
        "Dialog med innbygger - hent dokument",
    )
    DIALOG_INNBYGGER_HL7_DOKUMENTNOTIFIKASJON = (
        "DIALOG_INNBYGGER_HL7_DOKUMENTNOTIFIKASJON",
        "Dialog med innbygger - dokumentnotifikasjon",
    )
    DIALOG_INNBYGGER_HREG_INNSYN_BRUK = (
        "DIALOG_INNBYGGER_HREG_INNSYN_BRUK",
        "Dialog med innbygger - innsyn bruk",
    )
    DIALOG_INNBYGGER_HREG_INNSYN_HELSEOPPLYSNINGER = (
        "DIALOG_INNBYGGER_HREG_INNSYN_HELSEOPPLYSNINGER",
        "Dialog med innbygger - innsyn helseopplysninger",
    )
    DIALOG_INNBYGGER_HREG_INNSYN_UTLEVERING = (
        "DIALOG_INNBYGGER_HREG_INNSYN_UTLEVERING",
        "Dialog med innbygger - innsyn utlevering",
    )
    DIALOG_INNBYGGER_HREG_MELDE_FEIL = (
        "DIALOG_INNBYGGER_HREG_MELDE_FEIL",
        "Dialog med innbygger - melde feil i helseopplysninger",
    )
    DIALOG_INNBYGGER_HREG_OPPFORINGER = (
        "DIALOG_INNBYGGER_HREG_OPPFORINGER",
        "Dialog med innbygger - informasjon om oppføring",
    )
    DIALOG_INNBYGGER_HREG_SLETTING_ELLER_SPERRING = (
        "DIALOG_INNBYGGER_HREG_SLETTING_ELLER_SPERRING",
        "Dialog med innbygger - Sletting eller sperring",
    )
    DIALOG_INNBYGGER_JOURNAL = (
        "DIALOG_INNBYGGER_JOURNAL",
        "Forespørsel fra innbygger til helsepersonell om innsyn i journal",
    )
    DIALOG_INNBYGGER_KOORDINATOR = (
        "DIALOG_INNBYGGER_KOORDINATOR",
        "Dialog mellom innbygger og koordinator",
    )
    DIALOG_INNBYGGER_MELDINGSFORMIDLING = (
        "DIALOG_INNBYGGER_MELDINGSFORMIDLING",
        "Melding eller varsel til innbygger",
    )
    DIALOG_INNBYGGER_RESEPTFORNYELSE = (
        "DIALOG_INNBYGGER_RESEPTFORNYELSE",
        "Dialog med innbygger - reseptfornyelse",
    )
    DIALOG_INNBYGGER_SAMTYKKE = (
        "DIALOG_INNBYGGER_SAMTYKKE",
        "Benyttes for helseaktør som sender en samtykkeforespørsel til innbygger via helsenorge.no",
    )
    DIALOG_INNBYGGER_TEST = "DIALOG_INNBYGGER_TEST", "Dialog med innbygger - test"
    DIALOG_INNBYGGER_TIMEONSKE = "DIALOG_INNBYGGER_TIMEONSKE", "Dialog med innbygger - timeønske"
    DIALOG_INNBYGGER_TIMER = "DIALOG_INNBYGGER_TIMER", "Dialog med innbygger om timer"
    DIALOG_INNBYGGER_TIMERESERVASJON = (
        "DIALOG_INNBYGGER_TIMERESERVASJON",
        "Dialog med innbygger - timereservasjon",
    )
    DIALOG_INNBYGGER_TJENESTEOVERSIKT = (
        "DIALOG_INNBYGGER_TJENESTEOVERSIKT",
        "Dialog med innbygger - tjenesteoversikt",
    )
    DIALOG_NOTAT = "DIALOG_NOTAT", "Notat"
    DIALOG_OVERFORING_JOURNAL = "DIALOG_OVERFORING_JOURNAL", "Overføring av journal"
    DIALOG_STATUS_HENVISNING = "DIALOG_STATUS_HENVISNING", "Status på henvisning"
    DIALOG_SVAR = "DIALOG_SVAR", "Svar på forespørsel"
    DIALOG_TIL_ARKIVERING = "DIALOG_TIL_ARKIVERING", "Til arkivering i pasientens journal"


class TypeForesporsel(Code):
    """7601 Type forespørsel i digital dialog."""

    ART = "ART", "Avbestill reservert time"
    BA = "BA", "Bestille attest"
    DI = "DI", "Dialog med innbygger"
    DVI = "DVI", "Direkte varsel til innbygger"
    EKI = "EKI", "Engangskontakt med innbygger"
    ERT = "ERT", "Endre reservert time"
    HB = "HB", "Hent behandlere"
    HBT = "HBT", "Hent bestilte timer"
    HDAB = "HDAB", "Hent digitalt aktive brukere"
    HE = "HE", "Henvendelse"
    HLT = "HLT", "Hent ledige timer"
    HSKI = "HSKI", "Hent skjemainstans"
    LSKI = "LSKI", "Lagre skjemainstans"
    MOA = "MOA", "Melding om avtale"
    MTI = "MTI", "Melding til innbygger"
    OAB = "OAB", "Ønske om avslutning av behandlingsforløp"
    OAT = "OAT", "Ønske om avbestilling av time"
    OET = "OET", "Ønske om endring av time"
    OT = "OT", "Ønske om time"
    RF = "RF", "Reseptfornying, fritekst"
    RFER = "RFER", "Reseptfornying, eResept"
    RT = "RT", "Reserver time"
    SAM = "SAM", "Samtykkeforespørsel"
    SB = "SB", "Spørsmål til behandler"
    SDAB = "SDAB", "Status digital aktiv bruker"
    SIDAB = "SIDAB", "Sjekk om innbyggere er digitalt aktive brukere"
    SKIF = "SKIF", "Skjemainstans ferdigstilt"
    SKOI = "SKOI", "Skjemaoppgave til innsending"
    SKOU = "SKOU", "Skjemaoppgave til utfylling"
    VUS = "VUS", "Varsel om ulest svar eller henvendelse"


class SvarDigitalDialog(Code):
    """7602 Svar til bruk i digital dialog mellom pasient og behandler."""

    BESTILTE_TIMER = "01", "Bestilte timer"
    INGEN_BESTILTE_TIMER = "02", "Ingen bestilte timer"
    LEDIGE_TIMER = "03", "Ledige timer"
    INGEN_LEDIGE_TIMER = "04", "Ingen ledige timer"
    TIMERESERVASJON_BEKREFTET = "05", "Timereservasjon bekreftet"
    TIME_IKKE_TILGJENGELIG = "06", "Time ikke tilgjengelig"
    ENDRING_AV_TIME_BEKREFTET = "07", "Endring av time bekreftet"
    AVBESTILLING_AV_TIME_BEKREFTET = "08", "Avbestilling av time bekreftet"
    TIME_KUNNE_IKKE_AVBESTILLES = "09", "Time kunne ikke avbestilles"
    TIMERESERVASJON_HOS_ANNEN_BEHANDLER_BEKREFTET = (
        "10",
        "Timereservasjon hos annen behandler bekreftet",
    )
    PASIENT_IKKE_MOTT = "11", "Pasient ikke møtt"
    SVAR_PAA_SPORSMAAL_FRA_BEHANDLER = "12", "Svar på spørsmål, fra behandler"
    DIALOG_AVSLUTTET = "13", "Dialog avsluttet"
    RESEPT_ER_FORNYET = "14", "Resept er fornyet"
    RESEPT_KAN_IKKE_FORNYES = "15", "Resept kan ikke fornyes"
    BESTILLING_AV_ATTEST_ER_REGISTRERT = "16", "Bestilling av attest er registrert"
    ATTEST_ER_FERDIGSTILT = "17", "Attest er ferdigstilt"
    ATTEST_KAN_IKKE_UTSTEDES = "18", "Attest kan ikke utstedes"
    SVAR_PAA_HENVENDELSE = "19", "Svar på henvendelse"
    BEHANDLERE = "20", "Behandlere"
    BEHANDLERE_IKKE_FUNNET = "21", "Behandlere ikke funnet"
    SVAR_FRA_INNBYGGER = "22", "Svar fra innbygger"
    INNBYGGER_IKKE_AKTIV_DIGITAL_BRUKER = "23", "Innbygger ikke aktiv digital bruker"
    FORESPORSEL_AVVIST = "26", "Forespørsel avvist"
    ATTEST_VEDLAGT_DIALOG_AVSLUTTET = "27", "Attest vedlagt, dialog avsluttet"
    DIGITALE_AKTIVE_BRUKERE = "28", "Digitale aktive brukere"
    INGEN_DIGITALE_BRUKERE = "29", "Ingen digitale brukere"
    IKKE_TILGANG = "30", "Ikke tilgang"
    GENERELL_FEIL = "31", "Generell feil"
    RESEPTER_DELVIS_FORNYET = "32", "Resepter delvis fornyet"
    TJENESTE_TILBYS_IKKE = "33", "Tjeneste tilbys ikke"
    TIME_KUNNE_IKKE_ENDRES = "34", "Time kunne ikke endres"
    AVSLUTNING_AV_BEHANDLINGSFORLOP_BEKREFTET = "35", "Avslutning av behandlingsforløp bekreftet"
    BEHANDLINGSFORLOP_KUNNE_IKKE_AVSLUTTES = "36", "Behandlingsforløp kunne ikke avsluttes"
    SKJEMAINSTANS_LAGRET = "37", "Skjemainstans lagret"
    LAGRING_AV_SKJEMAINSTANS_FEILET = "38", "Lagring av skjemainstans feilet"
    LRP = "LRP", "Leveringsrapport på videreformidlet melding"
    SKIV = "SKIV", "Skjemainstans vedlagt"


class Kommunikasjonstest(Code):
    """7603 Kommunikasjonstest."""

    KT = "KT", "Kommunikasjonstest"
    RKT = "RKT", "Respons kommunikasjonstest"


class Representasjonsrolle(Code):
    """7611 Representasjonsrolle."""

    FO = "FO", "Foreldreansvar"
    FU = "FU", "Fullmakt"
    VE = "VE", "Vergemål"


class Timetype(Code):
    """7617 Timetype Innbyggerportal: xCal `categories` text (no S attribute in the message)."""

    HASTETIME = "Hastetime", "Hastetime"
    ORDINAER_TIME = "Ordinær", "Ordinær time"
    TIDSVINDU = "Tidsvindu", "Tidsvindu"
    VIDEOTIME = "Video", "Videotime"


class Leveringsmate(Code):
    """8324 Leveringsmåte."""

    AP = "AP", "Sendes til apoteket"
    HE = "HE", "Hentes hos legen"
    JA = "JA", "Sendes med vanlig post til adresse angitt i pasientens journal"
    AA = "AA", "Sendes med vanlig post til adresse angitt i forespørselen"


class JaNei(Code):
    """1101 Ja/Nei."""

    JA = "1", "Ja"
    NEI = "2", "Nei"


class StatusMottak(Code):
    """8258 Status for mottak av melding."""

    OK = "1", "OK"
    AVVIST = "2", "Avvist"
    OK_FEIL_I_DELMELDING = "3", "OK, feil i delmelding"


class AppRecFeil(Code):
    """8221 Feilmeldinger for applikasjonskvittering - Generelle."""

    E10 = "E10", "Ugyldig meldingsidentifikator"
    E20 = "E20", "Lege finnes ikke"
    E21 = "E21", "Mottaker finnes ikke"
    E30 = "E30", "Pasientens fødselsnummer mangler"
    E31 = "E31", "Pasientens fødselsnummer er feil"
    E32 = "E32", "Pasientens navn mangler"
    E33 = "E33", "Pasientens etternavn mangler"
    E34 = "E34", "Pasientens fornavn mangler"
    E35 = "E35", "Pasienten finnes ikke i mottakersystemet"
    E36 = "E36", "Pasientopplysninger er utilstrekkelige"
    E53 = "E53", "Pasientens fødselsnummer eller D-nummer finnes ikke registrert i Folkeregisteret."
    E54 = "E54", "Pasientens fødselsnummer er ikke registrert i mottagersystemet"
    S01 = "S01", "Feil på signatur"
    S02 = "S02", "Ugyldig sertifikat"
    S03 = "S03", "Tilbaketrukket sertifikat"
    S99 = "S99", "Annen feil på signatur eller sertifikat"
    T01 = "T01", "Ikke XML / ikke 'well formed' / uleselig"
    T02 = "T02", "XML validerer ikke"
    T10 = "T10", "Støtter ikke meldingsformatet"
    T99 = "T99", "Annen feil på format"
    X99 = "X99", "Annen feil"


class RolleMottaker(Code):
    """8112 Rolle til mottaker."""

    COP = "COP", "Kopimottaker"
    FR = "FR", "Mottaker i videresendt melding"
    OR = "OR", "Opprinnelig mottaker"
    PRIM = "PRIM", "Primærmottaker"


class HelsepersonellsFunksjon(Code):
    """9034 Helsepersonells funksjoner mv."""

    UTSKRIVENDE_LEGE = "10", "Utskrivende lege"
    UTSKRIVENDE_SYKEPLEIER = "11", "Utskrivende sykepleier"
    INSTITUERENDE_LEGE = "12", "Instituerende lege"
    INNLEGGENDE_LEGE = "13", "Innleggende lege"
    ANSVARLIG_JORDMOR = "14", "Ansvarlig jordmor"
    VIKAR_FOR_FASTLEGE = "15", "Vikar for fastlege"
    TURNUSLEGE = "16", "Turnuslege"
    FORLOPSKOORDINATOR_KREFT = "17", "Forløpskoordinator kreft"
    KOORDINATOR_SPESIALISTHELSETJENESTELOVEN = "18", "Koordinator (spesialisthelsetjenesteloven)"
    KONTAKTLEGE = "19", "Kontaktlege"
    KONTAKTPSYKOLOG = "20", "Kontaktpsykolog"
    HELSEFAGLIG_KONTAKT = "21", "Helsefaglig kontakt"
    KONTAKT_I_PRIMAERHELSETEAM = "22", "Kontakt i primærhelseteam"
    ONSKET_BEHANDLER = "23", "Ønsket behandler"
    KONTAKT_HOS_MOTTAKER = "24", "Kontakt hos mottaker"
    BEHANDLINGSANSVARLIG_LEGE = "3", "Behandlingsansvarlig lege"
    JOURNALANSVARLIG = "4", "Journalansvarlig"
    INFORMASJONSANSVARLIG = "5", "Informasjonsansvarlig"
    FASTLEGE = "6", "Fastlege"
    FAGLIG_ANSVARLIG_FOR_VEDTAK_I_PSYKISK_HELSEVERN = (
        "7",
        "Faglig ansvarlig for vedtak i psykisk helsevern",
    )
    KOORDINATOR_INDIVIDUELL_PLAN = "8", "Koordinator Individuell plan"
    PRIMAERKONTAKT = "9", "Primærkontakt"


class RolleNotat(Code):
    """9057 Rolle til notat."""

    FORFATTER = "1", "Forfatter"
    MEDFORFATTER = "2", "Medforfatter"
    GODKJENT_AV = "3", "Godkjent av"
    FORELAGT = "4", "Forelagt"


class KategoriHelsepersonell(Code):
    """9060 Kategori helsepersonell."""

    AT = "AT", "Apotektekniker"
    AU = "AU", "Audiograf"
    BI = "BI", "Bioingeniør"
    ET = "ET", "Ergoterapeut"
    FA1 = "FA1", "Provisorfarmasøyt"
    FA2 = "FA2", "Reseptarfarmasøyt"
    FO = "FO", "Fotterapeut"
    FT = "FT", "Fysioterapeut"
    HE = "HE", "Helsesekretær"
    HF = "HF", "Helsefagarbeider"
    HP = "HP", "Hjelpepleier"
    JO = "JO", "Jordmor"
    KE = "KE", "Klinisk ernæringsfysiolog"
    KI = "KI", "Kiropraktor"
    LE = "LE", "Lege"
    MT = "MT", "Manuellterapeut"
    OA = "OA", "Omsorgsarbeider"
    OI = "OI", "Ortopedingeniør"
    OP = "OP", "Optiker"
    OR = "OR", "Ortoptist"
    PE = "PE", "Perfusjonist"
    PS = "PS", "Psykolog"
    RA = "RA", "Radiograf"
    SP = "SP", "Sykepleier"
    TH = "TH", "Tannhelsesekretær"
    TL = "TL", "Tannlege"
    TP = "TP", "Tannpleier"
    TT = "TT", "Tanntekniker"
    VE = "VE", "Veterinær"
    VP = "VP", "Vernepleier"
    XX = "XX", "Ukjent/uspesifisert"
    AA = "AA", "Ambulansearbeider"


class IdTypePerson(Code):
    """8116 ID-type for personer."""

    DKF = "DKF", "Dansk 'personnummer'"
    DNR = "DNR", "D-nummer"
    DUF = "DUF", "DUF-nummer"
    FHN = "FHN", "Felles hjelpenummer"
    FNR = "FNR", "Fødselsnummer"
    FPN = "FPN", "Forsikringspolise nummer"
    HER = "HER", "HER-id"
    HNR = "HNR", "H-nummer"
    HPR = "HPR", "HPR-nummer"
    PNR = "PNR", "Passnummer"
    SEF = "SEF", "Svensk 'personnummer'"
    SSN = "SSN", "Sosial security number"
    UID = "UID", "Utenlandsk identifikasjon"
    XXX = "XXX", "Annet"


class IdTypeOrganisasjon(Code):
    """9051 ID-typer for organisatoriske enheter."""

    AKO = "AKO", "Apotekets konsesjonsnummer"
    APO = "APO", "Apotekets identifikasjonsnummer"
    AVD = "AVD", "Off. identifikator for avdelinger"
    ENH = "ENH", "Organisasjonsnummeret i Enhetsregister"
    HER = "HER", "HER-id"
    LAV = "LAV", "Lokal identifikator for avdelinger"
    LIN = "LIN", "Lokal identifikator for institusjoner"
    LOK = "LOK", "Lokal identifikator uten nærmere angivelse"
    NPR = "NPR", "NPR avdelingsnummer"
    RSH = "RSH", "Nasjonalt register over enheter i spesialisthelsetjenesten (RESH-ID)"
    SYS = "SYS", "SYSVAK institusjonsnummer"


class TypeDokumentreferanse(Code):
    """8114 Type dokumentreferanse."""

    A = "A", "Vedlegg"
    REF = "REF", "Referanse"
    XML = "XML", "XML-instans"


class Adressetype(Code):
    """3401 Adressetype."""

    BAD = "BAD", "Ubrukelig adresse"
    H = "H", "Bostedsadresse"
    HP = "HP", "Folkeregisteradresse"
    HV = "HV", "Ferieadresse"
    INV = "INV", "Faktureringsadresse"
    PST = "PST", "Postadresse"
    RES = "RES", "Besøksadresse"
    TMP = "TMP", "Midlertidig adresse"
    WP = "WP", "Arbeidsadresse"


SYSTEMS: tuple[CodeSystem, ...] = (
    register(
        CodeSystem(
            "8279",
            "Meldingens funksjon",
            MeldingensFunksjon,
            "MsgHead/MsgInfo/Type, AppRec/OriginalMsgId/MsgType; AMQP 'Subject'",
        )
    ),
    register(
        CodeSystem(
            "7601",
            "Type forespørsel i digital dialog",
            TypeForesporsel,
            "Dialogmelding/Foresporsel/TypeForesp (S=2.16.578.1.12.4.1.1.7601)",
        )
    ),
    register(
        CodeSystem(
            "7602",
            "Svar til bruk i digital dialog mellom pasient og behandler",
            SvarDigitalDialog,
            "Dialogmelding/Notat/TemaKodet; also TypeForesp in Avtaleutsending",
        )
    ),
    register(
        CodeSystem(
            "7603",
            "Kommunikasjonstest",
            Kommunikasjonstest,
            "TypeForesp/TemaKodet in DIALOG_INNBYGGER_TEST",
        )
    ),
    register(
        CodeSystem("7611", "Representasjonsrolle", Representasjonsrolle, "Pasientrelasjon/Relasjon")
    ),
    register(
        CodeSystem(
            "7617",
            "Timetype Innbyggerportal",
            Timetype,
            "xCal categories (code system NOT written in the message)",
        )
    ),
    register(
        CodeSystem(
            "8324",
            "Leveringsmåte",
            Leveringsmate,
            'Foresporsel/KodetOpplysning in reseptfornyelse (examples write S="8324")',
        )
    ),
    register(
        CodeSystem(
            "1101",
            "Ja/Nei",
            JaNei,
            "Foresporsel/KodetOpplysning in RT / OT: accepts time with another practitioner",
        )
    ),
    register(CodeSystem("8258", "Status for mottak av melding", StatusMottak, "AppRec/Status")),
    register(
        CodeSystem(
            "8221",
            "Feilmeldinger for applikasjonskvittering - Generelle",
            AppRecFeil,
            "AppRec/Error (S=2.16.578.1.12.4.1.1.8221)",
        )
    ),
    register(
        CodeSystem(
            "8112",
            "Rolle til mottaker",
            RolleMottaker,
            "AppRec/Sender/Role (PRIM/COP); AppRec/Receiver/Role is fixed AVS",
        )
    ),
    register(
        CodeSystem(
            "9034",
            "Helsepersonells funksjoner mv.",
            HelsepersonellsFunksjon,
            "HealthcareProfessional/RoleToPatient, RollerRelatertNotat/RoleToPatient",
        )
    ),
    register(CodeSystem("9057", "Rolle til notat", RolleNotat, "RollerRelatertNotat/RolleNotat")),
    register(
        CodeSystem(
            "9060", "Kategori helsepersonell", KategoriHelsepersonell, "TypeHealthcareProfessional"
        )
    ),
    register(
        CodeSystem(
            "8116",
            "ID-type for personer",
            IdTypePerson,
            "Patient/Ident/TypeId (FNR/DNR), HealthcareProfessional/Ident/TypeId (HPR/HER)",
        )
    ),
    register(
        CodeSystem(
            "9051",
            "ID-typer for organisatoriske enheter",
            IdTypeOrganisasjon,
            "Organisation/Ident/TypeId (HER/ENH/...)",
        )
    ),
    register(
        CodeSystem(
            "8114",
            "Type dokumentreferanse",
            TypeDokumentreferanse,
            "MsgHead/Document/RefDoc/MsgType (XML, A=Vedlegg, REF)",
        )
    ),
    register(CodeSystem("3401", "Adressetype", Adressetype, "Address/Type")),
)
"""Every code list this package knows, in the order `digidialog codes` lists them."""
