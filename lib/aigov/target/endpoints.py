"""The target, derived from where botocore really sends each service's requests.

A run's parameters say ``target=emulator`` or ``target=aws``; the endpoints decide what
it is. botocore resolves a client's endpoint from, in order: the ``endpoint_url``
argument, ``AWS_ENDPOINT_URL_<SERVICE>``, ``AWS_ENDPOINT_URL``, the shared config
file's ``endpoint_url`` (``services`` sections included), then AWS's own endpoint
(https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html). Reading
``client.meta.endpoint_url`` after construction gets that answer without a request.

The emulator's relaxed rules apply only when every endpoint is loopback; anything else
is AWS and gets every AWS check. ``target=emulator`` with no endpoint declared
(``endpoint_url`` or ``AWS_ENDPOINT_URL``), or with any endpoint that is not loopback,
is refused before the first call: a notebook run alone must never reach AWS under the
emulator's rules. ``target=aws`` against a loopback endpoint stays allowed: it only
adds checks, and is how the AWS path is rehearsed.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aigov.errors import TargetError

# The services aigov's clients call (discovery, apply, drift, preflight).
SERVICES = ("organizations", "sts")
EMULATOR, AWS = "emulator", "aws"


def is_loopback(url: str | None) -> bool:
    """True for ``http://127.0.0.1:5000``, ``http://[::1]:1``, ``http://localhost:9``.

    A host name other than ``localhost`` is never resolved here: it counts as AWS, the
    side that gets every check.

    >>> is_loopback("http://127.0.0.1:4566"), is_loopback("https://organizations.us-east-1.amazonaws.com")
    (True, False)
    """
    if not url:
        return False
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve_endpoints(session: Any, endpoint_url: str | None, region: str,
                      services: Iterable[str] = SERVICES) -> dict[str, str]:
    """``{service: endpoint}`` as botocore resolves it for clients built like ours."""
    return {s: session.client(s, endpoint_url=endpoint_url or None,
                              region_name=region).meta.endpoint_url for s in services}


def derive(endpoints: Mapping[str, str]) -> str:
    """``emulator`` when every endpoint is loopback, else ``aws``."""
    return EMULATOR if endpoints and all(is_loopback(u) for u in endpoints.values()) else AWS


@dataclass(frozen=True)
class Target:
    """The declared target checked against the resolved endpoints."""

    declared: str
    endpoints: Mapping[str, str]

    @property
    def derived(self) -> str:
        return derive(self.endpoints)

    @property
    def kind(self) -> str:
        """The rules this run gets: ``aws`` unless declared and derived are emulator."""
        return EMULATOR if self.declared == EMULATOR and self.derived == EMULATOR else AWS

    @property
    def is_emulator(self) -> bool:
        return self.kind == EMULATOR

    def describe(self) -> str:
        where = ", ".join(f"{s} {u}" for s, u in sorted(self.endpoints.items()))
        return f"{self.kind} ({where})"


def check_target(declared: str | None, endpoint_url: str | None,
                 endpoints: Mapping[str, str]) -> Target:
    """Return the ``Target``; raise ``TargetError`` (exit 2) when ``declared`` is the
    emulator and the endpoint is missing or any service would leave the machine.

    ``declared=None`` (commands without a ``target`` parameter) takes the derived one.
    """
    if declared is None:
        return Target(derive(endpoints), dict(endpoints))
    if declared == EMULATOR:
        if not endpoint_url:
            raise TargetError(
                "target emulator but no endpoint: the clients would use the standard "
                "credential chain and reach "
                + ", ".join(f"{s} at {u}" for s, u in sorted(endpoints.items())),
                location="endpoint_url",
                fix="run through `aigov run`, or start `aigov emulator` and pass "
                "-p endpoint_url=http://127.0.0.1:PORT (or export AWS_ENDPOINT_URL); "
                "for a real organization say -p target=aws")
        away = {s: u for s, u in endpoints.items() if not is_loopback(u)}
        if away:
            raise TargetError(
                "target emulator but these endpoints are not loopback: "
                + ", ".join(f"{s} at {u}" for s, u in sorted(away.items())),
                location="endpoint_url",
                fix="point endpoint_url at the emulator on 127.0.0.1, unset "
                "AWS_ENDPOINT_URL_<SERVICE> variables that point elsewhere, or say "
                "-p target=aws to get every AWS check")
    return Target(declared, dict(endpoints))
