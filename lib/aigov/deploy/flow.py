"""The deploy flow every engine shares; the record says which engine ran:

    plan_deploy  discovery, the direct engine's Changes (what the gate replays), and the
                 engine's own plan (Pulumi: its preview)
    gate_deploy  lint, policy tests, lock-out rules, the aws target's permission
    apply_deploy only after a passing verdict and with ``approve``; then a fresh plan,
                 which must be empty
"""

from __future__ import annotations

from aigov.deploy.engines import ENGINES, get_engine
from aigov.deploy.gate import Verdict, evaluate_gate
from aigov.deploy.request import DeployRequest, Outcome, Planned
from aigov.findings import finding
from aigov.org.discover import discover
from aigov.org.plan import plan


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
