"""Domain objects <-> JSON-ready data, one mapping for every vendor's wire.

The vendor surfaces differ in transport (REST, files, SOAP) but carry the same records: this module
is the single place that turns `InboxItem`, `Slot`, `RenewalOutcome`, … into plain dicts/lists/
strings (bytes as base64, datetimes as ISO 8601 with offset) and back, so no adapter or simulator
hand-writes a field list.
"""

from __future__ import annotations

from typing import Any, TypeVar

import pydantic
from pydantic import ConfigDict, TypeAdapter

from digidialog.errors import AdapterError, DigidialogError, Location
from digidialog.services.types import GpSettings, OfficeSettings

T = TypeVar("T")

_CONFIG = ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")


_ADAPTERS: dict[type[Any], TypeAdapter[list[Any]]] = {}


def _adapter(cls: type[Any]) -> TypeAdapter[list[Any]]:
    # Wrapped in a list: pydantic accepts a config (bytes as base64) only for container types.
    found = _ADAPTERS.get(cls)
    if found is None:
        found = _ADAPTERS[cls] = TypeAdapter(list[cls], config=_CONFIG)  # type: ignore[valid-type]
    return found


def dump(obj: object) -> Any:
    """`obj` (a domain dataclass, or a list of them) as JSON-ready data."""
    if isinstance(obj, OfficeSettings):
        return {
            "default": dump(obj.default),
            "per_gp": {her_id: dump(gp) for her_id, gp in obj.per_gp.items()},
        }
    if isinstance(obj, list | tuple):
        return [dump(o) for o in obj]
    return _adapter(type(obj)).dump_python([obj], mode="json")[0]


def load(cls: type[T], data: Any, *, source: str | None = None) -> T:
    """Rebuild a `cls` from `dump` output; anything malformed is an `AdapterError` at `source`."""
    try:
        if cls is OfficeSettings:
            per_gp = data.get("per_gp") or {}
            return OfficeSettings(  # type: ignore[return-value]
                default=load(GpSettings, data["default"], source=source),
                per_gp={k: load(GpSettings, v, source=source) for k, v in per_gp.items()},
            )
        value: T = _adapter(cls).validate_python([data])[0]
    except (pydantic.ValidationError, DigidialogError, KeyError, TypeError, AttributeError) as exc:
        raise AdapterError(
            f"the journal sent a {cls.__name__} we cannot read: {exc}",
            location=Location(source),
            hint="check the adapter and journal versions match the documented surface",
        ) from exc
    return value


def load_list(cls: type[T], data: Any, *, source: str | None = None) -> list[T]:
    """A list of `cls` from `dump` output."""
    if not isinstance(data, list):
        raise AdapterError(
            f"the journal sent {type(data).__name__} where a list of {cls.__name__} belongs",
            location=Location(source),
        )
    return [load(cls, item, source=source) for item in data]
