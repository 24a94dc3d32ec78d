"""boto3 clients for the target: an emulator endpoint or the standard credential chain.

Retries: botocore's ``standard`` mode retries transient errors (5xx, timeouts) of calls
that are safe to repeat. The creates AWS does not make idempotent (``NOT_IDEMPOTENT``:
a second CreateOrganizationalUnit after a lost response makes a second OU) go through
``organizations_once``, a client that never re-sends; the apply engine then rediscovers
and adopts what the lost call made (org/apply.py). Throttling is retried by one budget
per command, with backoff and jitter (throttle.py). With an endpoint (the emulator) and no credentials in the
environment, fixed dummy credentials are used: moto accepts any, and a real key must
never be sent to a local emulator.

Clients are read-only unless made by ``writable()``, which only the write permission
(``aigov.deploy.permission.writer``) calls: a read-only run holds no client that can
write (``aigov.target.readonly``). ``target`` is derived from the endpoints botocore
really resolves (``aigov.target.endpoints``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from functools import cached_property

import boto3
from botocore.config import Config

from aigov.target.calls import count_requests
from aigov.target.emulator import EMULATOR_CREDENTIALS
from aigov.target.endpoints import Target, check_target, resolve_endpoints
from aigov.target.readonly import make_read_only
from aigov.target.throttle import ThrottleBudget

RETRY_CONFIG = Config(retries={"max_attempts": 5, "mode": "standard"},
                      connect_timeout=5, read_timeout=60)
ONCE_CONFIG = Config(retries={"total_max_attempts": 1, "mode": "standard"},
                     connect_timeout=5, read_timeout=60)
# Organizations API reference: these have no idempotency token; re-sending one whose
# response was lost creates a duplicate (an OU, a policy) or a second request.
NOT_IDEMPOTENT = frozenset({"CreateOrganizationalUnit", "CreatePolicy", "CreateAccount",
                            "CreateOrganization"})


@dataclass
class OrgClients:
    endpoint_url: str | None
    region: str = "us-east-1"
    read_only: bool = True
    declared_target: str | None = None   # the run's ``target`` parameter, if it has one

    @cached_property
    def session(self) -> boto3.session.Session:
        if self.endpoint_url:
            return boto3.session.Session(region_name=self.region, **EMULATOR_CREDENTIALS)
        return boto3.session.Session(region_name=self.region)

    @cached_property
    def throttle(self) -> ThrottleBudget:
        return ThrottleBudget()

    @cached_property
    def target(self) -> Target:
        """Where the clients go; ``TargetError`` (exit 2) for an emulator run that would
        leave the machine. Resolved before the first client is made."""
        return check_target(self.declared_target, self.endpoint_url,
                            resolve_endpoints(self.session, self.endpoint_url, self.region))

    def client(self, service: str, config: Config = RETRY_CONFIG):
        """A client whose every request is counted (``target/calls.py``), whose
        throttles are retried within the command's budget (``target/throttle.py``), and
        which refuses every write unless made by ``writable()`` (``target/readonly.py``)."""
        self.target  # noqa: B018 - refuse a wrong target before any client exists
        made = self.session.client(service, endpoint_url=self.endpoint_url, config=config)
        self.throttle.register(made)
        if self.read_only:
            make_read_only(made)
        return count_requests(made)

    def writable(self) -> OrgClients:
        """The same target with clients that may write. Call only through
        ``aigov.deploy.permission.writer``, which checks the run may write."""
        return replace(self, read_only=False)

    @cached_property
    def organizations(self):
        return self.client("organizations")

    @cached_property
    def organizations_once(self):
        """For ``NOT_IDEMPOTENT`` calls: one attempt (throttles aside: a throttled call
        was refused, so retrying it is safe)."""
        return self.client("organizations", ONCE_CONFIG)

    @cached_property
    def sts(self):
        return self.client("sts")

    @property
    def is_emulator(self) -> bool:
        """True only when every endpoint is loopback (and the run did not say aws)."""
        return self.target.is_emulator


def clients(endpoint_url: str | None = None, region: str | None = None, *,
            target: str | None = None) -> OrgClients:
    """Read-only clients for ``endpoint_url`` (or ``$AWS_ENDPOINT_URL``), else for AWS.

    ``target`` is the run's declared target (``emulator`` or ``aws``); without it the
    target is derived from the endpoints."""
    endpoint = endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None
    return OrgClients(endpoint_url=endpoint, region=region or os.environ.get(
        "AWS_DEFAULT_REGION", "us-east-1"), declared_target=target)
