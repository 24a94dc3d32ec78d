"""AWS API requests counted per process, and what they would cost in time on AWS.

On the emulator a request takes milliseconds; on AWS, Organizations throttles (the
"Throttling limits" section of
https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html),
so at enterprise size the number of requests, not the local seconds, is the figure that
decides how long a run takes. Every client the library makes (``target/clients.py``)
counts each HTTP request it sends, retries included (botocore's ``before-send`` event),
by operation. A runbook notebook runs in its own kernel, so the process's count is the
notebook's; ``Context.record`` writes it into the notebook's results.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

#: Requests per second assumed on AWS for the estimate: the pace this library already
#: keeps for policy writes (``org/apply.py``, about 2 per second), a conservative reading
#: of Organizations' throttling for a sustained stream of calls from one account.
AWS_REQUESTS_PER_SECOND = 2.0

_counts: Counter[str] = Counter()
_observers: list[Callable[[str], None]] = []


def _count(event_name: str = "", **_: Any) -> None:
    # event_name is "before-send.<service>.<Operation>"
    operation = event_name.removeprefix("before-send.")
    _counts[operation] += 1
    for observe in _observers:
        observe(operation)


def on_request(observe: Callable[[str], None]) -> None:
    """Call ``observe("service.Operation")`` before each request is sent, from now on
    (once per function however often it is added: ``org/shared.py`` forgets its stored
    inventory before a write)."""
    if observe not in _observers:
        _observers.append(observe)


def count_requests(client: Any) -> Any:
    """Count every request ``client`` sends from now on; returns the client."""
    client.meta.events.register("before-send", _count, unique_id="aigov-count-requests")
    return client


def counts() -> dict[str, int]:
    """Requests sent so far in this process, by ``service.Operation``."""
    return dict(sorted(_counts.items()))


def reset() -> None:
    _counts.clear()


def estimated_aws_seconds(n: int, rate: float = AWS_REQUESTS_PER_SECOND) -> float:
    """Seconds ``n`` requests take on AWS at ``rate`` requests per second."""
    return round(n / rate, 1)


def summary() -> dict[str, Any]:
    """The figures a notebook records: total requests, by operation, and the estimate."""
    by_op = counts()
    total = sum(by_op.values())
    return {"api_calls": total, "api_calls_by_operation": by_op,
            "api_estimated_aws_seconds": estimated_aws_seconds(total),
            "api_assumed_requests_per_second": AWS_REQUESTS_PER_SECOND}
