"""The documents AWS manages itself, and the rendered-policy record, with no template or
spec machinery: the batch simulator imports this alone, so ``aigov simulate --batch``
starts without jinja2 or pydantic.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aigov.policy.types import RCP, SCP

FULL_AWS_ACCESS_NAME = "FullAWSAccess"
FULL_AWS_ACCESS = {"Version": "2012-10-17",
                   "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
RCP_FULL_AWS_ACCESS_NAME = "RCPFullAWSAccess"
RCP_FULL_AWS_ACCESS = {"Version": "2012-10-17",
                       "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*",
                                      "Resource": "*"}]}


@dataclass(frozen=True)
class RenderedPolicy:
    """A policy as AWS will store it. ``text`` is the minified JSON sent to the API."""

    name: str
    type: str
    file: str
    document: dict[str, Any]
    text: str
    description: str = ""
    aws_managed: bool = False

    @property
    def size(self) -> int:
        """Characters as AWS counts them for the policy size quota (the minified text)."""
        return len(self.text)


def minify(document: Any) -> str:
    """Deterministic, minified JSON (sorted keys) of a policy document."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def full_aws_access() -> RenderedPolicy:
    return RenderedPolicy(FULL_AWS_ACCESS_NAME, SCP, "(AWS managed)",
                          FULL_AWS_ACCESS, minify(FULL_AWS_ACCESS), aws_managed=True,
                          description="Allows access to every operation")


def rcp_full_aws_access() -> RenderedPolicy:
    return RenderedPolicy(RCP_FULL_AWS_ACCESS_NAME, RCP, "(AWS managed)",
                          RCP_FULL_AWS_ACCESS, minify(RCP_FULL_AWS_ACCESS), aws_managed=True,
                          description="Allows access to every resource")


def aws_managed_at(policy_type: str, full_access: bool = True) -> list[RenderedPolicy]:
    """The AWS-managed policies of ``policy_type`` at one level, the one place that says
    where they are: FullAWSAccess on every root, OU and account while SCPs are enabled,
    unless the spec detaches it (``full_access`` false); RCPFullAWSAccess everywhere, always
    (AWS attaches it and it cannot be detached). Organizations User Guide, "SCP
    inheritance" and "RCP inheritance"."""
    if policy_type == SCP:
        return [full_aws_access()] if full_access else []
    if policy_type == RCP:
        return [rcp_full_aws_access()]
    return []
