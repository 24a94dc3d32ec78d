"""The mutating steps of notebooks 01 and 02: plan a scope, check it may run, apply it.

Whether a run may write is decided by ``aigov.deploy.permission`` (the same rule as the
deploy gate's); only a permitted run gets clients that can write.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aigov.deploy.permission import WritePermission, may_write, writer
from aigov.org.discover import tag_scope
from aigov.org.inventory import Inventory
from aigov.org.plan import Plan, plan_structure
from aigov.org.shared import discover_shared
from aigov.runbook.notebook import Context

SCOPES = {"organization": {"organization", "policy_type"}, "structure": {"ou", "account"}}


def scoped_plan(ctx: Context, scope: str, inv: Inventory | None = None) -> Plan:
    """The part of the direct engine's plan that one notebook owns."""
    inv = (inv or discover_shared(ctx.session(), with_policies=False,
                                  tags=tag_scope(ctx.spec))).bind(ctx.spec)
    kinds = SCOPES[scope]
    return Plan(tuple(c for c in plan_structure(ctx.spec, inv) if c.kind in kinds))


def may_mutate(ctx: Context, inv: Inventory) -> WritePermission:
    p = ctx.params
    return may_write(ctx.session().target.kind, inv, ctx.spec, read_only=p.read_only,
                     approve=p.approve, allow_mutations=p.allow_mutations, confirm=p.confirm)


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
    inv = discover_shared(c, with_policies=False, tags=tag_scope(ctx.spec)).bind(ctx.spec)
    permission = may_mutate(ctx, inv)
    if not permission.allowed:
        print(permission.reason)
        return StepResult(len(plan.changes), 0, permission.reason, plan.rows())

    def progress(i: int, n: int, change: Any) -> None:
        print(f"  [{i + 1}/{n}] {change.describe()}", flush=True)

    result = apply_plan(writer(c, permission), plan, progress, inventory=inv)
    return StepResult(len(plan.changes), result.count, changes=plan.rows())
