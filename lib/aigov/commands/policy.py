"""``aigov simulate --target T --action A``: one request, decided and explained."""

from __future__ import annotations

import json
import sys

from aigov.errors import UsageError


def simulate_one(spec: str | None, *, target: str | None, action: str | None,
                 resource: str, region: str | None, principal: str | None,
                 context: list[str], drafts: list[str], expect: str | None,
                 as_json: bool) -> int:
    """One request, checked, decided and explained; ``expect`` turns it into a gate
    (exit 1 when the decision differs, 2 when the request is not a real one)."""
    from aigov.policy.ask import answer_request

    if not target or not action:
        raise UsageError("simulate needs --batch FILE, or --target and --action",
                         fix="e.g. aigov simulate --target ai-dev --action s3:GetObject")
    answer = answer_request(spec, target=target, action=action, resource=resource,
                            region=region, principal=principal, context=context,
                            drafts=drafts)
    print(json.dumps(answer.to_dict(), indent=2) if as_json else answer.text())
    if answer.problems:
        return 2
    if expect and answer.state != expect:
        print(f"aigov: expected {expect}, got {answer.state}", file=sys.stderr)
        return 1
    return 0
