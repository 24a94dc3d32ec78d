"""Who writes to the organization: a registry of engines, and the deploy flow they share.

``direct`` is the library's own plan/apply over boto3; ``pulumi`` drives the Pulumi
program through the Automation API; ``auto`` is ``pulumi`` where the CLI is on PATH, else
``direct`` (papermill's ``register``/``get_engine`` idea). Whichever runs, the flow is the
same and the record says which one ran:

    plan_deploy  discovery, the direct engine's Changes (what the gate replays), and the
                 engine's own plan (Pulumi: its preview)
    gate_deploy  lint, policy tests, lock-out rules, the aws target's permission
    apply_deploy only after a passing verdict and with ``approve``; then a fresh plan,
                 which must be empty

FullAWSAccess is AWS-managed and never in Pulumi's state; under the pulumi engine its
detachments (and re-attachments) are done by the direct engine after the update, which
has attached the allow-lists replacing it first.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from typing import Any

from aigov.deploy.gate import Verdict, evaluate_gate
from aigov.errors import UsageError
from aigov.findings import finding
from aigov.org.apply import Progress
from aigov.org.discover import discover
from aigov.org.inventory import Inventory
from aigov.org.plan import FULL_AWS_ACCESS, Plan, plan
from aigov.policy.render import RenderedPolicy, render_spec
from aigov.spec.model import Spec
from aigov.target.clients import OrgClients

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


@dataclass
class DeployRequest:
    """Everything a deploy needs, from the notebook's parameters or the command line."""

    spec: Spec
    clients: OrgClients
    target: str = "emulator"
    allow_mutations: bool = True
    confirm: bool = False
    approve: bool = True
    allow_delete: bool = False
    region: str = "us-east-1"
    rendered: dict[str, RenderedPolicy] = field(default_factory=dict)
    progress: Progress | None = None   # called after each applied change (the caller shows it)

    def __post_init__(self) -> None:
        if not self.rendered:
            self.rendered = render_spec(self.spec)


@dataclass
class Planned:
    engine: str                     # the engine that runs (never "auto")
    requested: str
    inventory: Inventory
    plan: Plan                      # the direct engine's Changes (the gate replays them)
    preview: list[Any] = field(default_factory=list)   # Pulumi's runs (PulumiRun)

    @property
    def changes_planned(self) -> int:
        if self.engine == "pulumi" and self.preview:
            return sum(run.changed for run in self.preview)
        return len(self.plan.changes)

    def table(self):  # -> pandas.DataFrame
        if self.engine == "pulumi" and self.preview:
            import pandas as pd

            return pd.DataFrame([{"phase": r.phase, "operation": op, "resources": n}
                                 for r in self.preview for op, n in sorted(r.changes.items())],
                                columns=["phase", "operation", "resources"])
        return self.plan.table()

    def render(self) -> str:
        head = f"engine: {self.engine}" + (f" (requested {self.requested})"
                                           if self.requested != self.engine else "")
        if self.engine == "pulumi" and self.preview:
            body = "\n".join(f"  {r.phase}: " + ", ".join(f"{n} {op}" for op, n in
                                                          sorted(r.changes.items()))
                             for r in self.preview)
        else:
            body = self.plan.render()
        return f"{head}\n{body}"

    def summary(self) -> dict[str, Any]:
        return {"engine": self.engine, "engine_requested": self.requested,
                "changes_planned": self.changes_planned}


@dataclass
class Outcome:
    engine: str
    changes_planned: int
    changes_applied: int
    status: str                     # applied | nothing to do | not approved
    remaining: int = 0              # changes a fresh plan still finds after the apply
    outputs: dict[str, Any] = field(default_factory=dict)
    runs: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        out = {"engine": self.engine, "changes_planned": self.changes_planned,
               "changes_applied": self.changes_applied, "status": self.status,
               "changes_remaining": self.remaining}
        if self.outputs:
            out["pulumi_outputs"] = self.outputs
        if self.runs:
            out["pulumi_runs"] = self.runs
        return out

    def render(self) -> str:
        return (f"{self.status}: {self.changes_applied} of {self.changes_planned} planned "
                f"change(s) applied by the {self.engine} engine; {self.remaining} remaining")


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


def plan_deploy(req: DeployRequest, engine: str = "auto") -> Planned:
    """Discover, plan with the direct engine, and let the chosen engine plan too."""
    chosen = get_engine(engine)
    inv = discover(req.clients)
    planned = Planned(chosen.name, engine, inv, plan(req.spec, inv, req.rendered,
                                                     allow_delete=req.allow_delete))
    chosen.plan(req, planned)
    return planned


def gate_deploy(req: DeployRequest, planned: Planned) -> Verdict:
    """The gate on this plan. Under Pulumi (which orders its own steps: creates and
    updates before deletes) the direct plan stands for the same change and is replayed."""
    verdict = evaluate_gate(req.spec, plan=planned.plan, inventory=planned.inventory,
                            target=req.target, allow_mutations=req.allow_mutations,
                            confirm=req.confirm, rendered=req.rendered,
                            pending=planned.changes_planned, applying=req.approve)
    detached = req.spec.organization.full_aws_access.detach_from
    if planned.engine == "pulumi" and detached:
        note = (f"FullAWSAccess leaves {', '.join(detached)} after the Pulumi update, by "
                "the direct engine")
        verdict.add("FullAWSAccess detachments",
                    [finding("DEPLOY_FULLACCESS_BY_DIRECT_ENGINE", note)], note)
    return verdict


def apply_deploy(req: DeployRequest, planned: Planned, verdict: Verdict) -> Outcome:
    """Apply after a passing verdict; ``approve=False`` shows the plan and stops."""
    verdict.raise_if_refused()
    if planned.changes_planned == 0 and planned.plan.empty:
        return Outcome(planned.engine, 0, 0, "nothing to do")
    if not req.approve:
        return Outcome(planned.engine, planned.changes_planned, 0, "not approved")
    outcome = ENGINES[planned.engine]().apply(req, planned)
    outcome.remaining = len(plan(req.spec, discover(req.clients), req.rendered,
                                 allow_delete=req.allow_delete).changes)
    return outcome
