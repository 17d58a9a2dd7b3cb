"""Tariff suggestions for replies (Normaltariff for fastleger).

Only an answered e-consultation is billable: tariff 2ae (e-konsultasjon), plus 2dd when the GP who
answers is a specialist in general practice (spesialist i allmennmedisin). A reply that only asks
the patient to book an ordinary appointment, closes the dialog or refuses the request bills nothing
(no clinical assessment was delivered); contact-the-office, booking and renewal replies bill nothing
here. The journal shows the suggestion; the GP decides.
"""

from __future__ import annotations

from dataclasses import dataclass

from digidialog.services.types import Practitioner, ReplyKind, ServiceName

__all__ = ["E_CONSULTATION", "SPECIALIST_SUPPLEMENT", "Tariff", "suggest_tariffs"]


@dataclass(frozen=True, slots=True)
class Tariff:
    """One tariff code from the Normaltariff with its short description."""

    code: str
    description: str


E_CONSULTATION = Tariff("2ae", "E-konsultasjon")
SPECIALIST_SUPPLEMENT = Tariff("2dd", "Tillegg for spesialist i allmennmedisin")


def suggest_tariffs(
    service: ServiceName,
    kind: ReplyKind,
    responder: Practitioner | None,
    *,
    billable: bool = True,
) -> tuple[Tariff, ...]:
    """The tariffs a reply of `kind` in `service` suggests, given who answered.

    `billable=False` is for answers that carry no clinical assessment (the ask-to-book reply).
    """
    if service is not ServiceName.E_CONSULTATION or kind is not ReplyKind.ANSWER or not billable:
        return ()
    if responder is not None and responder.specialist_general_practice:
        return (E_CONSULTATION, SPECIALIST_SUPPLEMENT)
    return (E_CONSULTATION,)
