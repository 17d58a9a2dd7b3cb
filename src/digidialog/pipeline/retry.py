"""When to try again: exponential backoff with a cap, shared by journal delivery and the outbox."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Wait ``first`` seconds after the first failure, then ``factor`` times longer each time,
    never more than ``cap``. There is no attempt limit: a message the journal has not taken is
    never dropped; `attempts` and ``last_error`` in the store tell a person when to look."""

    first: float = 5.0
    factor: float = 2.0
    cap: float = 600.0

    def delay(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th failure (1 for the first)."""
        return min(self.cap, self.first * self.factor ** max(0, attempts - 1))
