"""boto3 clients for the target: an emulator endpoint or the standard credential chain.

Retries use botocore's ``adaptive`` mode: AWS Organizations throttles hard (policy writes
at about 2 per second) and answers TooManyRequestsException, which adaptive mode both
retries and paces. With an endpoint (the emulator) and no credentials in the
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

RETRY_CONFIG = Config(retries={"max_attempts": 10, "mode": "adaptive"},
                      connect_timeout=5, read_timeout=60)


@dataclass
class OrgClients:
    endpoint_url: str | None
    region: str = "us-east-1"

    @cached_property
    def session(self) -> boto3.session.Session:
        if self.endpoint_url:
            return boto3.session.Session(region_name=self.region, **EMULATOR_CREDENTIALS)
        return boto3.session.Session(region_name=self.region)

    def client(self, service: str):
        """A client whose every request is counted (``target/calls.py``)."""
        return count_requests(self.session.client(service, endpoint_url=self.endpoint_url,
                                                  config=RETRY_CONFIG))

    @cached_property
    def organizations(self):
        return self.client("organizations")

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
