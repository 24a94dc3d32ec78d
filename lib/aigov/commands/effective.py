"""``aigov effective``: ``policy.effective.spec_effective_policy``, rendered."""

from __future__ import annotations

import json
import sys


def effective_command(*, spec: str | None, account: str, policy_type: str,
                      as_json: bool) -> int:
    """Print the target's effective policy (JSON in DescribeEffectivePolicy's shape with
    ``--json``), and each ignored operation as a note on stderr."""
    from aigov.policy.bundle import Bundle
    from aigov.policy.effective import spec_effective_policy

    bundle = Bundle.load(spec)
    got = spec_effective_policy(bundle, account, policy_type.strip().upper())
    acct = bundle.spec.account(got.target.removeprefix("account:"))
    if as_json:
        print(json.dumps(got.describe((acct.id or acct.name) if acct else None), indent=2))
    else:
        print(f"{policy_type} effective at {got.target}:")
        print(json.dumps(got.content, indent=2))
    for item in got.ignored:
        print(f"note: {item.describe()}", file=sys.stderr)
    return 0
