"""Throttling: retried with backoff and jitter within one time budget per command.

AWS Organizations answers ``TooManyRequestsException`` (and the generic
``ThrottlingException``) when a caller exceeds its request rate (Organizations API
reference, "Common errors"; policy writes are limited to about 2 per second). A
throttled call was refused, not carried out, so retrying it is safe even for the creates
that are otherwise never re-sent (``clients.NOT_IDEMPOTENT``). Retries wait
``random.uniform(0, min(cap, base * 2**n))`` ("full jitter", AWS Architecture Blog,
"Exponential Backoff And Jitter") and stop when the command's budget
(``AIGOV_THROTTLE_BUDGET`` seconds, default 300) is spent: then ``Throttled`` (exit 1)
says how many calls were refused in how long. docs/contracts/faults.md.
"""

from __future__ import annotations

import logging
import os
import random
import time
from typing import Any

from aigov.errors import AigovError, UsageError

THROTTLE_CODES = frozenset({"TooManyRequestsException", "ThrottlingException",
                            "Throttling", "ThrottledException", "RequestLimitExceeded"})
DEFAULT_BUDGET = 300.0
BASE_DELAY, MAX_DELAY = 0.5, 20.0
log = logging.getLogger("aigov.throttle")


class Throttled(AigovError):
    """AWS kept refusing calls for longer than the budget (exit 1: re-run later)."""

    exit_code = 1

    def __init__(self, refused: int, seconds: float, applied: list[str] | None = None) -> None:
        self.refused, self.seconds = refused, seconds
        self.applied = list(applied or [])
        done = "".join(f"\n  done: {a}" for a in self.applied)
        made = (f"; changes already made ({len(self.applied)}):{done}" if applied is not None
                else "")
        super().__init__(f"AWS is throttling: {refused} calls refused in {seconds:.0f} s; "
                         f"re-run later or lower the rate{made}",
                         fix="a re-run resumes where this one stopped; raise "
                         "AIGOV_THROTTLE_BUDGET (seconds) to wait longer")


def budget_seconds() -> float:
    raw = os.environ.get("AIGOV_THROTTLE_BUDGET", "").strip()
    if not raw:
        return DEFAULT_BUDGET
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise UsageError(f"AIGOV_THROTTLE_BUDGET={raw!r} is not a number of seconds",
                         fix=f"unset it or set e.g. AIGOV_THROTTLE_BUDGET={DEFAULT_BUDGET:.0f}")
    return value


class ThrottleBudget:
    """One budget shared by every client of a command (registered on each client's
    ``needs-retry`` event, first, so botocore's own handler never sees a throttle)."""

    def __init__(self, budget: float | None = None, seed: int | None = None) -> None:
        self.budget = budget_seconds() if budget is None else budget
        self.refused = 0
        self.first: float | None = None
        self.random = random.Random(seed)

    def register(self, client: Any) -> None:
        client.meta.events.register_first("needs-retry.*", self.needs_retry)

    def needs_retry(self, response: Any = None, attempts: int = 1, **_: Any) -> float | None:
        """botocore's hook: a delay (retry after it) for a throttle, else None (botocore
        decides). Raises ``Throttled`` once the budget is spent."""
        if not response or not isinstance(response[1], dict):
            return None
        code = response[1].get("Error", {}).get("Code")
        if code not in THROTTLE_CODES:
            return None
        now = time.monotonic()
        self.refused += 1
        if self.first is None:
            self.first = now
        spent = now - self.first
        if spent >= self.budget:
            raise Throttled(self.refused, spent)
        delay = self.random.uniform(0, min(MAX_DELAY, BASE_DELAY * 2 ** min(attempts, 10)))
        delay = min(delay, self.budget - spent)
        log.warning("AWS is throttling: retrying in %.1f s (%d calls refused, %.0f of %.0f s "
                    "budget used)", delay, self.refused, spent, self.budget)
        return delay
