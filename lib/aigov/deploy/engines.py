"""Who writes to the organization: a registry of engines (papermill's
``register``/``get_engine`` idea).

``direct`` is the library's own plan/apply over boto3; ``pulumi`` drives the Pulumi
program through the Automation API; ``auto`` is ``pulumi`` where the CLI is on PATH, else
``direct``. The flow every engine runs in is ``deploy/flow.py``; its data is
``deploy/request.py``.

FullAWSAccess is AWS-managed and never in Pulumi's state; under the pulumi engine the
direct engine re-attaches it before the update (no target ever loses its last SCP) and
detaches it after (the update has attached the allow-lists replacing it), the order the
gate replays (``pulumi_guards.pulumi_order``).
"""

from __future__ import annotations

import shutil

from aigov.deploy.pulumi_guards import full_access_split
from aigov.deploy.request import DeployRequest, Outcome, Planned
from aigov.errors import UsageError
from aigov.org.discover import discover
from aigov.org.inventory import Inventory
from aigov.org.plan import FULL_AWS_ACCESS, Plan, build_plan

ENGINES: dict[str, type[Engine]] = {}


def register(name: str):
    def deco(cls: type[Engine]) -> type[Engine]:
        ENGINES[name] = cls
        cls.name = name
        return cls
    return deco


def resolve_engine(name: str) -> str:
    """``auto`` -> ``pulumi`` when the CLI is on PATH, else ``direct``."""
    if name == "auto":
        return "pulumi" if shutil.which("pulumi") else "direct"
    if name not in ENGINES:
        raise UsageError(f"unknown engine {name!r}", fix="use direct, pulumi or auto")
    return name


def get_engine(name: str) -> Engine:
    return ENGINES[resolve_engine(name)]()


class Engine:
    name = ""

    def prepare(self, req: DeployRequest, planned: Planned) -> None:
        """Add the engine's own preview to ``planned`` (the direct engine's plan is
        ``planned.direct_plan`` already; it needs nothing more)."""

    def apply(self, req: DeployRequest, planned: Planned) -> Outcome:
        raise NotImplementedError


@register("direct")
class DirectEngine(Engine):
    def apply(self, req: DeployRequest, planned: Planned) -> Outcome:
        from aigov.org.apply import apply_plan

        # The ids the plan was made from, just discovered by plan_deploy: discovering
        # again before the first change cost one call per OU and per policy.
        result = apply_plan(req.clients, planned.direct_plan, req.progress,
                            inventory=planned.inventory)
        return Outcome(self.name, len(planned.direct_plan.changes), result.count, "applied")


@register("pulumi")
class PulumiEngine(Engine):
    def driver(self, req: DeployRequest, inv: Inventory):
        from aigov.deploy.pulumi_driver import PulumiDriver

        return PulumiDriver(req.bundle, target=req.target,
                            endpoint_url=req.clients.endpoint_url,
                            account_id=stack_account(inv), region=req.region)

    def prepare(self, req: DeployRequest, planned: Planned) -> None:
        """Pulumi's preview. While an adoption is pending Pulumi can preview only the
        import (an import must match what exists); the update after it is what the
        direct plan lists, shown as such, and it is previewed again, and refused if it
        replaces or deletes an account, before it runs."""
        from aigov.deploy.pulumi_driver import PulumiRun

        planned.preview = self.driver(req, planned.inventory).preview(planned.inventory)
        if [r.phase for r in planned.preview] == ["adopt"] and not planned.direct_plan.empty:
            planned.preview.append(PulumiRun("after import (the direct plan's changes)",
                                             planned.direct_plan.counts()))

    def apply(self, req: DeployRequest, planned: Planned) -> Outcome:
        from aigov.org.apply import apply_plan

        # FullAWSAccess is not Pulumi's: the direct engine re-attaches it before the
        # update (so no target is ever left without an SCP) and detaches it after.
        before, _ = full_access_split(planned.direct_plan)
        applied = apply_plan(req.clients, before, req.progress,
                             inventory=planned.inventory).count
        inv = discover(req.clients) if applied else planned.inventory
        runs = self.driver(req, inv).up(inv, allow_delete=req.allow_delete)
        applied += sum(r.changed for r in runs if r.phase in ("adopt", "up"))
        fresh = build_plan(req.bundle, discover(req.clients, tags=()))  # attachments only
        after = Plan(tuple(c for c in fresh.changes if c.kind == "attachment"
                           and c.detail.get("policy") == FULL_AWS_ACCESS))
        applied += apply_plan(req.clients, after, req.progress).count
        outputs = next((r.outputs for r in reversed(runs) if r.phase == "up"), {})
        return Outcome(self.name, planned.changes_planned, applied, "applied", outputs=outputs,
                       runs=[{"phase": r.phase, "changes": r.changes} for r in runs])


def stack_account(inv: Inventory) -> str | None:
    """The management account the Pulumi stack is named for: the organization's, or the
    caller's when there is none yet (the caller creates it and becomes its management
    account)."""
    return inv.management_account_id or inv.caller_account_id
