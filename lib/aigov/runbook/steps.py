"""The mutating steps of notebooks 01 and 02: plan a scope, check it may run, apply it.

Whether a run may write is decided here once: never with ``read_only``; on the ``aws``
target only with ``allow_mutations`` and ``confirm``, and only as the management account
(or as the account about to create the organization).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aigov.org.discover import discover
from aigov.org.inventory import Inventory
from aigov.org.plan import Plan, plan_structure
from aigov.runbook.notebook import Context

SCOPES = {"organization": {"organization", "policy_type"}, "structure": {"ou", "account"}}


def scoped_plan(ctx: Context, scope: str, inv: Inventory | None = None) -> Plan:
    """The part of the direct engine's plan that one notebook owns."""
    inv = inv or discover(ctx.session(), with_policies=False)
    kinds = SCOPES[scope]
    return Plan(tuple(c for c in plan_structure(ctx.spec, inv) if c.kind in kinds))


def may_mutate(ctx: Context, inv: Inventory) -> tuple[bool, str]:
    p = ctx.params
    if p.read_only:
        return False, "read-only run (read_only=true): the plan is shown, nothing is applied"
    if not p.approve:
        return False, "approve=false: the plan is shown, nothing is applied"
    if p.target == "aws":
        if not (p.allow_mutations and p.confirm):
            return False, ("target aws: set allow_mutations: true in the profile and confirm "
                           "the run (-p confirm=true) to apply")
        if inv.exists and inv.caller_account_id != inv.management_account_id:
            return False, (f"the caller ({inv.caller_account_id}) is not the management "
                           f"account ({inv.management_account_id}); nothing is applied")
    return True, "allowed"


@dataclass
class StepResult:
    planned: int
    applied: int
    skipped_reason: str = ""
    changes: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {"changes_planned": self.planned, "changes_applied": self.applied,
                **({"not_applied": self.skipped_reason} if self.skipped_reason else {})}


def apply_scope(ctx: Context, plan: Plan) -> StepResult:
    """Apply ``plan`` if this run may mutate; show progress; return the counts."""
    from aigov.org.apply import apply_plan

    if plan.empty:
        return StepResult(0, 0, changes=[])
    c = ctx.session()
    inv = discover(c, with_policies=False)
    allowed, reason = may_mutate(ctx, inv)
    if not allowed:
        print(reason)
        return StepResult(len(plan.changes), 0, reason, plan.rows())

    def progress(i: int, n: int, change: Any) -> None:
        print(f"  [{i + 1}/{n}] {change.describe()}", flush=True)

    result = apply_plan(c, plan, progress, inventory=inv)
    return StepResult(len(plan.changes), result.count, changes=plan.rows())
