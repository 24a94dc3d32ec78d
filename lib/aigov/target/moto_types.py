"""Policy types AWS Organizations has and moto (5.x) refuses, taught to the emulator.

moto's ``FakePolicy`` knows SCPs, RCPs, AI opt-out and tag policies; ``CreatePolicy``
with ``BEDROCK_POLICY`` answers "You specified an invalid value" and ``BACKUP_POLICY``
raises ``NotImplementedError`` (a 500). Both are in botocore's ``PolicyType`` enum and
real AWS accepts them (AWS Organizations User Guide, "Amazon Bedrock policies", "Backup
policies"). ``install()`` adds them to moto's supported lists and gives their policies
AWS's ARN form, ``arn:aws:organizations::MGMT:policy/o-ORG/bedrock_policy/p-ID``; moto
then stores, lists, attaches and describes them like any other type. moto does not
compute effective policies (``DescribeEffectivePolicy``): that stays AWS's, and offline
aigov's own (``aigov.policy.effective``). Called in the emulator's process before it
serves; idempotent.
"""

from __future__ import annotations

from typing import Any

# Each added type and the word AWS uses for it in policy ARNs.
EXTRA_TYPES = {"BEDROCK_POLICY": "bedrock_policy", "BACKUP_POLICY": "backup_policy"}
_ARN = "arn:{0}:organizations::{1}:policy/{2}/%s/{3}"


def install() -> None:
    """Teach moto's organizations models the ``EXTRA_TYPES`` (once per process)."""
    from moto.organizations.models import FakePolicy, FakeRoot

    if getattr(FakePolicy, "_aigov_extra_types", False):
        return
    for ptype in EXTRA_TYPES:
        for cls in (FakePolicy, FakeRoot):
            if ptype not in cls.SUPPORTED_POLICY_TYPES:
                cls.SUPPORTED_POLICY_TYPES.append(ptype)
    original = FakePolicy.__init__

    def __init__(self: Any, organization: Any, **kwargs: Any) -> None:
        ptype = kwargs.get("Type", "")
        if ptype not in EXTRA_TYPES:
            original(self, organization, **kwargs)
            return
        original(self, organization, **{**kwargs, "Type": "TAG_POLICY"})
        self.type = ptype
        self._arn_format = _ARN % EXTRA_TYPES[ptype]

    FakePolicy.__init__ = __init__  # type: ignore[method-assign]
    FakePolicy._aigov_extra_types = True  # type: ignore[attr-defined]
