"""Who writes to the organization: a registry of engines (papermill's
``register``/``get_engine`` idea).

``direct`` is the library's own plan/apply over boto3; ``pulumi`` drives the Pulumi
program through the Automation API; ``auto`` is ``pulumi`` where the CLI is on PATH, else
``direct``. The flow every engine runs in is ``deploy/flow.py``; its data is
``deploy/request.py``.

FullAWSAccess is AWS-managed and never in Pulumi's state; under the pulumi engine its
detachments (and re-attachments) are done by the direct engine after the update, which
has attached the allow-lists replacing it first.
"""

from __future__ import annotations

import shutil

from aigov.deploy.request import DeployRequest, Outcome, Planned
from aigov.errors import UsageError
from aigov.org.discover import discover
from aigov.org.plan import FULL_AWS_ACCESS, Plan, plan

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

    def plan(self, req: DeployRequest, planned: Planned) -> None:
        """Add the engine's own plan to ``planned`` (the direct one needs nothing more)."""

    def apply(self, req: DeployRequest, planned: Planned) -> Outcome:
        raise NotImplementedError


@register("direct")
class DirectEngine(Engine):
    def apply(self, req: DeployRequest, planned: Planned) -> Outcome:
        from aigov.org.apply import apply_plan

        result = apply_plan(req.clients, planned.plan, req.progress)
        return Outcome(self.name, len(planned.plan.changes), result.count, "applied")


@register("pulumi")
class PulumiEngine(Engine):
    def driver(self, req: DeployRequest):
        from aigov.deploy.pulumi_driver import PulumiDriver

        return PulumiDriver(req.spec, req.rendered, target=req.target,
                            endpoint_url=req.clients.endpoint_url, region=req.region)

    def plan(self, req: DeployRequest, planned: Planned) -> None:
        planned.preview = self.driver(req).preview(planned.inventory)

    def apply(self, req: DeployRequest, planned: Planned) -> Outcome:
        from aigov.org.apply import apply_plan

        runs = self.driver(req).up(planned.inventory, allow_delete=req.allow_delete)
        applied = sum(r.changed for r in runs if r.phase in ("adopt", "up"))
        # FullAWSAccess is not Pulumi's: its attachments follow, by the direct engine.
        fresh = plan(req.spec, discover(req.clients), req.rendered)
        full_access = Plan(tuple(c for c in fresh.changes if c.kind == "attachment"
                                 and c.detail.get("policy") == FULL_AWS_ACCESS))
        applied += apply_plan(req.clients, full_access, req.progress).count
        outputs = next((r.outputs for r in reversed(runs) if r.phase == "up"), {})
        return Outcome(self.name, planned.changes_planned, applied, "applied", outputs=outputs,
                       runs=[{"phase": r.phase, "changes": r.changes} for r in runs])
