"""Domain objects <-> JSON-ready data, one mapping for every vendor's wire.

The vendor surfaces differ in transport (REST, files, SOAP) but carry the same records: this module
is the single place that turns `InboxItem`, `Slot`, `RenewalOutcome`, … into plain dicts/lists/
strings and back, so no adapter or simulator hand-writes a field list.

The format (docs/adapters.md, "The record format"): a record is a JSON object with exactly the
fields of its dataclass, every one present (`null` for none, `[]` for empty); enums by value;
times as ISO 8601 with an offset; dates as `YYYY-MM-DD`; bytes as standard base64 (RFC 4648 §4,
`+` and `/`, padded). `load` holds an answer to exactly that: an unknown key, a missing key, a
wrong type (a number for a time, "off" for a boolean) or bytes in another alphabet is an
`AdapterError` naming the field, never a silently different record.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from typing import Any, TypeVar

import pydantic
import pydantic_core
from pydantic import ConfigDict, TypeAdapter
from pydantic_core import SchemaSerializer, SchemaValidator, core_schema

from digidialog.errors import AdapterError, DigidialogError, Location
from digidialog.services.types import GpSettings, OfficeSettings

T = TypeVar("T")

#: How many problems one error message lists (the rest are counted).
_SHOWN = 3

_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _b64encode(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def _b64decode(value: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except ValueError as exc:  # base64url's '-'/'_', a missing '=', a line break, non-ASCII
        raise ValueError(f"not standard base64 (RFC 4648 §4, '+' and '/', padded): {exc}") from exc


def _text_form(pattern: re.Pattern[str], what: str) -> Callable[[Any], Any]:
    """A check of the text itself, before pydantic parses it (lax, so it reads a string)."""

    def check(value: Any) -> Any:
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise ValueError(f"not {what}")
        return value

    return check


_BYTES = core_schema.no_info_after_validator_function(
    _b64decode,
    core_schema.str_schema(strict=True),
    serialization=core_schema.plain_serializer_function_ser_schema(_b64encode, when_used="json"),
)


def _wire_schema(node: Any) -> Any:
    """pydantic's schema of a record, held to the wire format (see the module doc).

    pydantic's own choices are close but not it: `ser_json_bytes="base64"` is base64url, strict
    JSON mode still reads "0" as a time in 1970, and a dataclass field with a default may be left
    out (a vendor leaving out `sms_notification` would get the dataclass's True, not "unknown").
    The stdlib dataclasses of `digidialog.services.types` cannot carry annotations for this,
    so their generated schema is rewritten instead.
    """
    if isinstance(node, list):
        return [_wire_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    kind = node.get("type")
    if kind == "bytes":
        return _BYTES
    if kind == "datetime":  # the text form first: strict mode reads "0" as 1970-01-01
        return core_schema.no_info_before_validator_function(
            _text_form(_TIME, "an ISO 8601 time with an offset (2030-01-07T08:00:00+01:00)"),
            {**node, "strict": False, "tz_constraint": "aware"},
        )
    if kind == "date":
        return core_schema.no_info_before_validator_function(
            _text_form(_DATE, "a date YYYY-MM-DD"), {**node, "strict": False}
        )
    out = {k: _wire_schema(v) for k, v in node.items()}
    if kind == "dataclass-field" and out["schema"].get("type") == "default":
        out["schema"] = out["schema"]["schema"]  # every field present: null says "none"
    return out


class _Codec:
    """Encoder and strict decoder of a list of one type (pydantic takes a config only for
    containers, and the list keeps a top-level `None` or `int` a value like any other)."""

    def __init__(self, cls: Any) -> None:
        generated = TypeAdapter(list[cls], config=ConfigDict(strict=True, extra="forbid"))
        schema = _wire_schema(generated.core_schema)
        config = core_schema.CoreConfig(strict=True, extra_fields_behavior="forbid")
        self.validator = SchemaValidator(schema, config)
        self.serializer = SchemaSerializer(schema, config)


_CODECS: dict[Any, _Codec] = {}


def _codec(cls: Any) -> _Codec:
    found = _CODECS.get(cls)
    if found is None:
        found = _CODECS[cls] = _Codec(cls)
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
    return _codec(type(obj)).serializer.to_python([obj], mode="json")[0]


class _Unreadable(Exception):
    """What is wrong with a record: (where in it, what) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__(problems)
        self.problems = problems


def _where(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(the record)"


def _problem(error: pydantic_core.ErrorDetails) -> tuple[str, str]:
    # The input value is left out on purpose: a record holds national ids and health data, and
    # the message ends up in logs.
    loc = error["loc"][1:]  # [0]: the index in the wrapping list
    if error["type"] == "unexpected_keyword_argument":
        return _where(loc), "unknown key"
    if error["type"] in ("missing", "missing_argument"):
        return _where(loc), "missing (send null for none)"
    return _where(loc), error["msg"]


def _validate(cls: Any, data: Any, prefix: str = "") -> Any:
    if cls is OfficeSettings:
        return _office_settings(data, prefix)
    try:
        text = json.dumps([data], allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise _Unreadable([(prefix or "(the record)", f"not JSON data: {exc}")]) from exc
    try:
        return _codec(cls).validator.validate_json(text)[0]
    except pydantic.ValidationError as exc:
        problems = [_problem(e) for e in exc.errors(include_url=False)]
        if prefix:
            problems = [(f"{prefix}.{loc}", what) for loc, what in problems]
        raise _Unreadable(problems) from exc


def _office_settings(data: Any, prefix: str) -> OfficeSettings:
    where = f"{prefix}." if prefix else ""
    if not isinstance(data, dict):
        raise _Unreadable([(prefix or "(the record)", "not an object")])
    problems = [(f"{where}{k}", "unknown key") for k in data if k not in ("default", "per_gp")]
    problems += [(f"{where}{k}", "missing") for k in ("default", "per_gp") if k not in data]
    if problems:
        raise _Unreadable(problems)
    per_gp = data["per_gp"]
    if not isinstance(per_gp, dict):
        raise _Unreadable([(f"{where}per_gp", "not an object (HER-id -> settings)")])
    return OfficeSettings(
        default=_validate(GpSettings, data["default"], f"{where}default"),
        per_gp={k: _validate(GpSettings, v, f"{where}per_gp.{k}") for k, v in per_gp.items()},
    )


def _name(cls: Any) -> str:
    return getattr(cls, "__name__", None) or str(cls)


def load(cls: type[T], data: Any, *, source: str | None = None) -> T:
    """Rebuild a `cls` from `dump` output; anything else is an `AdapterError` at `source`.

    Strict: exactly the record's keys, each of the documented type (see the module doc). The
    message names each field that is wrong, never its value.
    """
    try:
        value: T = _validate(cls, data)
    except _Unreadable as exc:
        shown = "; ".join(f"{loc}: {what}" for loc, what in exc.problems[:_SHOWN])
        more = len(exc.problems) - _SHOWN
        raise AdapterError(
            f"{_name(cls)} not in the documented wire format: {shown}"
            + (f" (and {more} more)" if more > 0 else ""),
            location=Location(source),
            hint="check the adapter and journal versions match the documented surface",
        ) from exc
    except DigidialogError as exc:  # a record the domain refuses (a naive time, a bad HER-id)
        raise AdapterError(
            f"{_name(cls)} not in the documented wire format: {exc.message}",
            location=Location(source),
            hint="check the adapter and journal versions match the documented surface",
        ) from exc
    return value


def load_list(cls: type[T], data: Any, *, source: str | None = None) -> list[T]:
    """A list of `cls` from `dump` output; one unreadable item makes the whole an `AdapterError`
    (see `rpc` for the outbox answers, which are read record by record)."""
    if not isinstance(data, list):
        raise AdapterError(
            f"{type(data).__name__} where a list of {_name(cls)} belongs",
            location=Location(source),
        )
    return [load(cls, item, source=source) for item in data]
