"""The access matrix: targets (OUs and accounts) x scenarios -> decisions, as a DataFrame.

Targets with the same effective policy set (the same chain of SCP and RCP levels) are
evaluated once per scenario and share the column of decisions, so an organization of a
thousand accounts in a hundred OUs costs about one evaluation per distinct policy path.
Cells hold ``allow``, ``deny`` or ``exempt`` (the management account: SCPs and RCPs do
not apply, which an "allow" would hide).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from aigov.policy.evaluate import Decision
from aigov.policy.simulate import MANAGEMENT, OrgModel, load_all_cases

COLOURS = {"allow": "#c8e6c9", "deny": "#ffcdd2", "exempt": "#e0e0e0"}


@dataclass(frozen=True)
class Scenario:
    """A request to try from every target: ``Scenario("train in ap-southeast-2",
    "sagemaker:CreateTrainingJob", context={"aws:RequestedRegion": "ap-southeast-2"})``."""

    name: str
    action: str
    resource: str = "*"
    context: Mapping[str, str | Sequence[str]] = field(default_factory=dict)
    principal: str | None = None


def scenarios_from_tests(model: OrgModel) -> list[Scenario]:
    """One scenario per policy-test case (its request, without its target)."""
    seen: dict[str, Scenario] = {}
    for c in load_all_cases(model.spec):
        seen.setdefault(c.name, Scenario(c.name, c.action, c.resource, dict(c.context),
                                         c.principal))
    return list(seen.values())


def default_targets(model: OrgModel) -> list[str]:
    """Root, every OU path, every account (``account:NAME``), and the management account
    when the spec or discovery names it."""
    out = model.spec.targets()
    if model.management_account:
        out.append(MANAGEMENT)
    return out


def _cell(d: Decision) -> str:
    return "exempt" if d.basis == "exempt" else d.decision


def columns(model: OrgModel, targets: Sequence[str], scenarios: Sequence[Scenario]
            ) -> tuple[list[int], list[list[Decision]]]:
    """Decisions grouped: ``(group of each target, decisions of each group)``.

    Targets with the same effective policy sets and the same principal account
    (accounts without an id in the spec all act from 111122223333) form one group and
    are evaluated once per scenario."""
    index: dict[tuple[object, ...], int] = {}
    groups: list[list[Decision]] = []
    row_group: list[int] = []
    for t in targets:
        scp, rcp = model.chain(t, "SCP"), model.chain(t, "RCP")
        acct = model.account_id(t) or "111122223333"
        key = (scp.key if scp else None, rcp.key if rcp else None, acct)
        g = index.get(key)
        if g is None:
            g = index[key] = len(groups)
            groups.append([model.decide(t, model.request(t, s.action, s.resource, s.context,
                                                         s.principal)) for s in scenarios])
        row_group.append(g)
    return row_group, groups


def decisions(model: OrgModel, targets: Sequence[str],
              scenarios: Sequence[Scenario]) -> dict[tuple[str, str], Decision]:
    """Every ``(target, scenario name) -> Decision``."""
    row_group, groups = columns(model, targets, scenarios)
    return {(t, s.name): d for t, g in zip(targets, row_group, strict=True)
            for s, d in zip(scenarios, groups[g], strict=True)}


def access_matrix(model: OrgModel, targets: Sequence[str] | None = None,
                  scenarios: Sequence[Scenario] | None = None) -> pd.DataFrame:
    """Targets (rows) x scenarios (columns) -> ``allow`` / ``deny`` / ``exempt``."""
    targets = list(targets) if targets is not None else default_targets(model)
    scenarios = list(scenarios) if scenarios is not None else scenarios_from_tests(model)
    row_group, groups = columns(model, targets, scenarios)
    cells = np.array([[_cell(d) for d in col] for col in groups], dtype=object)
    data = cells[np.asarray(row_group, dtype=np.intp)] if groups else np.empty(
        (0, len(scenarios)), dtype=object)
    return pd.DataFrame(data, index=pd.Index(targets, name="target"),
                        columns=pd.Index([s.name for s in scenarios], name="scenario"))


def style_matrix(frame: pd.DataFrame):  # -> pandas.io.formats.style.Styler
    """The matrix coloured by decision (green allow, red deny, grey exempt)."""
    return frame.style.map(lambda v: f"background-color: {COLOURS.get(v, '')}")


def deny_explanations(model: OrgModel, targets: Sequence[str] | None = None,
                      scenarios: Sequence[Scenario] | None = None) -> pd.DataFrame:
    """One row per denied (target, scenario): the level, policy and statement that
    denied, or the level without a matching Allow, and the reason in words."""
    targets = list(targets) if targets is not None else default_targets(model)
    scenarios = list(scenarios) if scenarios is not None else scenarios_from_tests(model)
    rows = []
    for (t, s), d in decisions(model, targets, scenarios).items():
        if d.decision != "deny":
            continue
        level = d.deny.level if d.deny else (d.missing[1] if d.missing else "")
        policy = d.deny.policy if d.deny else ""
        stmt = d.deny.statement if d.deny else None
        rows.append({"target": t, "scenario": s, "basis": d.basis, "level": level,
                     "policy": policy, "statement": stmt, "reason": d.reason})
    return pd.DataFrame(rows, columns=["target", "scenario", "basis", "level", "policy",
                                       "statement", "reason"])


def ineffective_allow_lists(model: OrgModel) -> pd.DataFrame:
    """SCPs with only Allow statements attached beside FullAWSAccess: they restrict
    nothing (an SCP level allows when any of its policies allows, and FullAWSAccess
    allows everything), like the seed's allow-list on AI/Development."""
    rows = []
    for key in model.spec.targets():
        level = model.level(key, "SCP")
        names = [p.name for p in level.policies]
        if "FullAWSAccess" not in names:
            continue
        for p in level.policies:
            if p.name != "FullAWSAccess" and p.statements and all(
                    s.effect == "Allow" for s in p.statements):
                rows.append({"level": key, "policy": p.name,
                             "finding": "allow-only SCP beside FullAWSAccess: restricts "
                             "nothing; detach FullAWSAccess here or turn it into a Deny"})
    return pd.DataFrame(rows, columns=["level", "policy", "finding"])
