"""Reading an adapter's config mapping: typed getters with errors that name the adapter and key."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from digidialog.errors import UsageError

_MISSING = object()


class AdapterConfig:
    """Typed, checked access to a config mapping for adapter `adapter`."""

    def __init__(self, adapter: str, config: Mapping[str, Any]) -> None:
        self.adapter = adapter
        self._config = config

    def _raw(self, key: str, default: object) -> Any:
        value = self._config.get(key, default)
        if value is _MISSING or value is None:
            raise UsageError(
                f"{self.adapter} adapter: config key {key!r} is required",
                hint=f"pass {key}=… in the adapter config",
            )
        return value

    def _bad(self, key: str, kind: str, value: object) -> UsageError:
        return UsageError(
            f"{self.adapter} adapter: config key {key!r} must be {kind}, not {value!r}"
        )

    def text(self, key: str, default: object = _MISSING) -> str:
        value = self._raw(key, default)
        if not isinstance(value, str) or not value:
            raise self._bad(key, "a non-empty string", value)
        return value

    def number(self, key: str, default: object = _MISSING) -> float:
        value = self._raw(key, default)
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise self._bad(key, "a number", value) from None
        if number < 0:
            raise self._bad(key, "zero or more", value)
        return number

    def integer(self, key: str, default: object = _MISSING) -> int:
        value = self._raw(key, default)
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise self._bad(key, "an integer", value)
        try:
            number = int(value)
        except ValueError:
            raise self._bad(key, "an integer", value) from None
        if number < 0:
            raise self._bad(key, "zero or more", value)
        return number

    def path(self, key: str, default: object = _MISSING) -> Path:
        value = self._raw(key, default)
        if not isinstance(value, str | Path):
            raise self._bad(key, "a path", value)
        return Path(value)

    def tls_verify(self, key: str = "verify") -> bool | str:
        """`True`/`False`, or the path of a CA bundle."""
        value = self._raw(key, True)
        if isinstance(value, bool | str):
            return value
        raise self._bad(key, "true, false or a CA bundle path", value)
