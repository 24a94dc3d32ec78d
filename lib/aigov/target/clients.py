"""boto3 clients for the target: an emulator endpoint or the standard credential chain.

Retries: botocore's ``standard`` mode retries transient errors (5xx, timeouts) of calls
that are safe to repeat. The creates AWS does not make idempotent (``NOT_IDEMPOTENT``:
a second CreateOrganizationalUnit after a lost response makes a second OU) go through
``organizations_once``, a client that never re-sends; the apply engine then rediscovers
and adopts what the lost call made (org/apply.py). Throttling is retried by one budget
per command, with backoff and jitter (throttle.py). With an endpoint (the emulator) and no credentials in the
environment, fixed dummy credentials are used: moto accepts any, and a real key must
never be sent to a local emulator.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property

import boto3
from botocore.config import Config

from aigov.target.calls import count_requests
from aigov.target.emulator import EMULATOR_CREDENTIALS
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

    @cached_property
    def session(self) -> boto3.session.Session:
        if self.endpoint_url:
            return boto3.session.Session(region_name=self.region, **EMULATOR_CREDENTIALS)
        return boto3.session.Session(region_name=self.region)

    @cached_property
    def throttle(self) -> ThrottleBudget:
        return ThrottleBudget()

    def client(self, service: str, config: Config = RETRY_CONFIG):
        """A client whose every request is counted (``target/calls.py``) and whose
        throttles are retried within the command's budget (``target/throttle.py``)."""
        made = self.session.client(service, endpoint_url=self.endpoint_url, config=config)
        self.throttle.register(made)
        return count_requests(made)

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
        return bool(self.endpoint_url)


def clients(endpoint_url: str | None = None, region: str | None = None) -> OrgClients:
    """Return clients for ``endpoint_url`` (or ``$AWS_ENDPOINT_URL``), else for AWS."""
    endpoint = endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None
    return OrgClients(endpoint_url=endpoint, region=region or os.environ.get(
        "AWS_DEFAULT_REGION", "us-east-1"))
