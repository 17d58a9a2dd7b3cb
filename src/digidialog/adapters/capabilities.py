"""What an adapter can do, known without connecting: processes, versions, services, features.

Which services each GP has switched *on* is live journal state and comes from `Practice.settings()`;
this profile says what the adapter could support at all, for `digidialog adapters` and for routing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from digidialog.services.types import ServiceName

#: MsgInfo/Type of every HITS 1217 ch. 4.1 process, by the GP service it belongs to.
PROCESSES: Mapping[ServiceName, tuple[str, ...]] = MappingProxyType(
    {
        ServiceName.BOOKING: (
            "DIALOG_INNBYGGER_TIMERESERVASJON",
            "DIALOG_INNBYGGER_TIMEONSKE",
            "DIALOG_INNBYGGER_AVTALEUTSENDING",
        ),
        ServiceName.PRESCRIPTION_RENEWAL: ("DIALOG_INNBYGGER_RESEPTFORNYELSE",),
        ServiceName.E_CONSULTATION: ("DIALOG_INNBYGGER_EKONSULTASJON",),
        ServiceName.CONTACT_OFFICE: ("DIALOG_INNBYGGER_EKONTAKT",),
    }
)


@dataclass(frozen=True)
class Capabilities:
    """A static capability profile.

    `services` the GP services the adapter can carry; `processes` the MsgInfo/Type values it
    handles (derived from `services` unless given); `versions` the message standards and
    versions it accepts, e.g. {"Dialogmelding": ("1.0", "1.1")}; `features` free-form flags naming
    extras such as "idempotency-keys" or "avtaleutsending".
    """

    services: frozenset[ServiceName] = frozenset(ServiceName)
    versions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    features: frozenset[str] = frozenset()
    processes: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not self.processes:
            derived = {p for s in self.services for p in PROCESSES[s]}
            object.__setattr__(self, "processes", frozenset(derived))
        object.__setattr__(self, "versions", MappingProxyType(dict(self.versions)))

    def supports(
        self, process: str, standard: str | None = None, version: str | None = None
    ) -> bool:
        """True when the process (and, if given, the standard's version) is supported."""
        if process not in self.processes:
            return False
        if standard is None:
            return True
        versions = self.versions.get(standard, ())
        return version is None or version in versions

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form, sorted so listings are stable."""
        return {
            "services": sorted(s.value for s in self.services),
            "processes": sorted(self.processes),
            "versions": {k: list(v) for k, v in sorted(self.versions.items())},
            "features": sorted(self.features),
        }
