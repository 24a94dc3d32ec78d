"""Lockout sentinels proven, not sampled: ``prove_never_denied`` for the deploy gate.

A lockout check that simulates a handful of sentinel requests ("can the break-glass
role still call iam:AttachRolePolicy?") answers for those requests only. This asks the
solver the universal question for a sentinel principal and its actions, over every
resource, Region and context, at every target below the ones named: proven is stronger
than any sample; refuted comes with the confirmed counterexample and its explanation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aigov.errors import UsageError
from aigov.policy.prove.org import prove_property
from aigov.policy.prove.properties import BadProperty, Property, parse_property
from aigov.policy.prove.solve import DEFAULT_TIMEOUT_MS
from aigov.policy.simulate import OrgModel


@dataclass(frozen=True)
class SentinelProof:
    """``result``: proven, refuted, unknown, or bug (an encoding bug: never a pass)."""

    principal: str
    actions: tuple[str, ...]
    targets: tuple[str, ...]
    result: str
    # (targets, counterexample request, the evaluator's explanation) per refuted group
    refuted: tuple[tuple[tuple[str, ...], dict[str, Any], str], ...] = field(default=())
    reason: str = ""

    @property
    def proven(self) -> bool:
        return self.result == "proven"

    def describe(self) -> str:
        head = f"{self.principal} never denied {', '.join(self.actions)}: {self.result}"
        lines = [head + (f" ({self.reason})" if self.reason else "")]
        for targets, request, why in self.refuted:
            lines.append(f"  at {', '.join(targets)}: {request}\n    {why}")
        return "\n".join(lines)


def prove_never_denied(model: OrgModel, principal: str, actions: str | Sequence[str] = "*", *,
                       targets: Sequence[str] = ("Root",), resource: str | Sequence[str] = "*",
                       context: Mapping[str, Any] | None = None,
                       timeout_ms: int = DEFAULT_TIMEOUT_MS) -> SentinelProof:
    """Is ``principal`` (a glob; ``${account}`` = each covered account's id) never denied
    ``actions`` at ``targets`` and everything below them? ``context`` takes the
    constraints of docs/contracts/properties.md. ``UsageError`` on a bad argument."""
    raw: dict[str, Any] = {"expect": "never-denied", "principal": principal,
                           "action": actions if isinstance(actions, str) else list(actions),
                           "resource": resource if isinstance(resource, str) else list(resource),
                           "context": dict(context or {})}
    try:
        base = parse_property(raw, batch=False)
    except BadProperty as exc:
        raise UsageError(f"sentinel {principal}: {exc}", location=exc.key,
                         fix=exc.fix or "see docs/contracts/properties.md") from None
    prop = Property(base.expect, base.principal, base.actions, base.resources, base.context,
                    base.names, name=f"sentinel {principal}", targets=tuple(targets))
    result = prove_property(model, prop, timeout_ms=timeout_ms)
    refuted = tuple((o.group.targets, o.counterexample, o.decision.explain())
                    for o in result.outcomes if o.result == "refuted" and o.decision)
    reasons = "; ".join(dict.fromkeys(o.reason for o in result.outcomes if o.reason))
    return SentinelProof(principal, base.actions, tuple(targets), result.result, refuted,
                         result.bug or reasons)
