"""The AWS Organizations policy types, named once, with their short forms.

The names are AWS's own (Organizations API reference, ``PolicyType``:
SERVICE_CONTROL_POLICY | RESOURCE_CONTROL_POLICY | AISERVICES_OPT_OUT_POLICY |
TAG_POLICY | ...). ``PolicyType`` is a ``StrEnum``: a member equals, hashes and formats
as its AWS name, so it compares with the plain strings the spec, the inventory and
boto3 carry. Models keep plain strings (``PolicyTypeName``) so YAML and JSON dumps stay
plain. This module imports nothing from aigov: the spec layer below ``policy`` may use
it (docs/architecture.md, "Layers").
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal


class PolicyType(StrEnum):
    """An AWS Organizations policy type; ``short`` is how a person calls it."""

    SCP = "SERVICE_CONTROL_POLICY"
    RCP = "RESOURCE_CONTROL_POLICY"
    AI_OPT_OUT = "AISERVICES_OPT_OUT_POLICY"
    TAG = "TAG_POLICY"
    BEDROCK = "BEDROCK_POLICY"
    BACKUP = "BACKUP_POLICY"

    @property
    def short(self) -> str:
        return _SHORT[self]

    @property
    def is_authorization(self) -> bool:
        """SCPs and RCPs decide requests (the evaluator's); the others are management
        policies that AWS merges into an effective policy instead."""
        return self in (PolicyType.SCP, PolicyType.RCP)


_SHORT = {PolicyType.SCP: "SCP", PolicyType.RCP: "RCP",
          PolicyType.AI_OPT_OUT: "AI opt-out", PolicyType.TAG: "tag",
          PolicyType.BEDROCK: "Bedrock", PolicyType.BACKUP: "backup"}

#: Every type, in AWS's documentation order (the order lint and the spec report them in).
POLICY_TYPES: tuple[str, ...] = tuple(t.value for t in PolicyType)
#: The authorization policy types the evaluator simulates.
AUTHORIZATION_TYPES: tuple[str, ...] = (PolicyType.SCP.value, PolicyType.RCP.value)

#: The type a pydantic field accepts: one of the names above, kept a plain ``str``.
PolicyTypeName = Literal[POLICY_TYPES]  # type: ignore[valid-type]


def short_name(policy_type: str) -> str:
    """``"SERVICE_CONTROL_POLICY"`` -> ``"SCP"``; an unknown type is shown as given."""
    try:
        return PolicyType(policy_type).short
    except ValueError:
        return policy_type


def type_list(sep: str = ", ", last: str = " or ") -> str:
    """The type names as an error's fix names them: ``A, B, C or D``."""
    return sep.join(POLICY_TYPES[:-1]) + last + POLICY_TYPES[-1]

# The short aliases modules compare with (one definition, here).
SCP, RCP = PolicyType.SCP, PolicyType.RCP
AI_OPT_OUT, TAG = PolicyType.AI_OPT_OUT, PolicyType.TAG
BEDROCK, BACKUP = PolicyType.BEDROCK, PolicyType.BACKUP
#: Management policy types: AWS merges them into an effective policy per account
#: (policy/effective.py), the inheritance operators deciding.
MANAGEMENT_TYPES: tuple[str, ...] = tuple(t.value for t in PolicyType if not t.is_authorization)
