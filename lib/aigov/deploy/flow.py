"""The deploy flow every engine shares; the record says which engine ran:

    plan_deploy  discovery, the direct engine's Changes (what the gate replays), and the
                 engine's own plan (Pulumi: its preview)
    gate_deploy  lint, policy tests, lock-out rules, the aws target's permission
    apply_deploy only after a passing verdict and with ``approve``; then a fresh plan,
                 which must be empty
"""

from __future__ import annotations

from dataclasses import replace

from aigov.deploy.engines import ENGINES, get_engine
from aigov.deploy.gate import Verdict, evaluate_gate
from aigov.deploy.permission import may_write, writer
from aigov.deploy.pulumi_guards import account_damage, full_access_split, pulumi_order
from aigov.deploy.request import DeployRequest, Outcome, Planned
from aigov.findings import finding
from aigov.org.discover import tag_scope
from aigov.org.plan import build_plan
from aigov.org.shared import discover_shared, invalidate


def plan_deploy(req: DeployRequest, engine: str = "auto") -> Planned:
    """Discover, plan with the direct engine, and let the chosen engine plan too."""
    chosen = get_engine(engine)
    # Pulumi adopts with the live tags of every resource; the direct plan compares only
    # the tags the spec declares (org/discover.py).
    inv = discover_shared(req.clients, tags="all" if chosen.name == "pulumi" else tag_scope(
        req.spec)).bind(req.spec)
    planned = Planned(chosen.name, engine, inv,
                      build_plan(req.bundle, inv, allow_delete=req.allow_delete))
    chosen.prepare(req, planned)
    return planned


def gate_deploy(req: DeployRequest, planned: Planned) -> Verdict:
    """The gate on this plan. Under Pulumi the direct plan stands for the same change
    and is replayed in the Pulumi engine's order (``pulumi_order``: FullAWSAccess back
    first, Pulumi's creates and updates before its deletes, FullAWSAccess away last);
    a preview step that replaces or deletes an account refuses the apply."""
    direct = planned.direct_plan
    order = pulumi_order(direct) if planned.engine == "pulumi" else direct
    verdict = evaluate_gate(req.bundle, direct_plan=order, inventory=planned.inventory,
                            target=req.rules, allow_mutations=req.allow_mutations,
                            confirm=req.confirm, pending=planned.changes_planned,
                            applying=req.approve)
    if planned.engine != "pulumi":
        return verdict
    verdict.add("the Pulumi update never replaces or deletes an account",
                account_damage(s for r in planned.preview for s in getattr(r, "steps", [])),
                "no account step")
    before, after = full_access_split(planned.direct_plan)
    if not before.empty or not after.empty:
        note = (f"FullAWSAccess: {len(before.changes)} attachment(s) before the Pulumi update, "
                f"{len(after.changes)} detachment(s) after it, by the direct engine")
        verdict.add("FullAWSAccess order",
                    [finding("DEPLOY_FULLACCESS_BY_DIRECT_ENGINE", note)], note)
    return verdict


def apply_deploy(req: DeployRequest, planned: Planned, verdict: Verdict) -> Outcome:
    """Apply after a passing verdict; ``approve=False`` shows the plan and stops."""
    verdict.raise_if_refused()
    if planned.changes_planned == 0 and planned.direct_plan.empty:
        return Outcome(planned.engine, 0, 0, "nothing to do")
    if not req.approve:
        return Outcome(planned.engine, planned.changes_planned, 0, "not approved")
    # The gate passed with this permission; only now do the clients become writable.
    permission = may_write(req.rules, planned.inventory, req.spec,
                           allow_mutations=req.allow_mutations, confirm=req.confirm)
    req = replace(req, clients=writer(req.clients, permission))
    outcome = ENGINES[planned.engine]().apply(req, planned)
    invalidate()  # the Pulumi CLI writes from its own process, unseen by org/shared.py
    outcome.remaining = len(build_plan(req.bundle, discover_shared(
        req.clients, tags=tag_scope(req.spec)), allow_delete=req.allow_delete).changes)
    return outcome
