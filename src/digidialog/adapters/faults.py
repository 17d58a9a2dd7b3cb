"""Fault injection shared by the simulators: fail or stall the next calls, or take the journal down.

A simulator asks `Faults.next()` once per incoming call and acts on the answer, so tests (and the
contract kit) can make any vendor's journal misbehave the same way without knowing its wire format.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from enum import Enum


class FaultKind(Enum):
    """What a simulator does with one call."""

    NONE = "none"
    UNAVAILABLE = "unavailable"  # answer as a journal that is down (503, soap:Server, busy receipt)


@dataclass(frozen=True, slots=True)
class Fault:
    """The verdict for one call: how to answer, and how long to stall before answering."""

    kind: FaultKind = FaultKind.NONE
    delay: float = 0.0


class Faults:
    """Thread-safe fault plan; every setter is cumulative until the plan is `clear()`ed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fail_next = 0
        self._down = False
        self._delay = 0.0
        self._delay_calls = 0

    def fail_next(self, calls: int) -> None:
        """Answer the next `calls` calls as unavailable, then recover."""
        with self._lock:
            self._fail_next += calls

    def stall_next(self, calls: int, seconds: float) -> None:
        """Delay the answer to the next `calls` calls by `seconds` (to provoke client timeouts)."""
        with self._lock:
            self._delay_calls += calls
            self._delay = seconds

    def set_down(self, down: bool) -> None:
        """Take the journal down (every call unavailable) or bring it back."""
        with self._lock:
            self._down = down

    def clear(self) -> None:
        with self._lock:
            self._fail_next = 0
            self._down = False
            self._delay = 0.0
            self._delay_calls = 0

    @property
    def down(self) -> bool:
        with self._lock:
            return self._down

    def next(self) -> Fault:
        """Consume the plan for one call."""
        with self._lock:
            delay = 0.0
            if self._delay_calls:
                self._delay_calls -= 1
                delay = self._delay
            if self._down:
                return Fault(FaultKind.UNAVAILABLE, delay)
            if self._fail_next:
                self._fail_next -= 1
                return Fault(FaultKind.UNAVAILABLE, delay)
            return Fault(FaultKind.NONE, delay)
