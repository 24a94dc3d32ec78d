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
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aigov.policy.evaluate import EXAMPLE_ACCOUNT, Chain, Decision, Level, Request
from aigov.policy.exemptions import rcp_exemption, scp_exemption
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
    """Root, every OU path, every account (``account:HANDLE``), and the management account
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
    (accounts without an id in the spec all act from ``EXAMPLE_ACCOUNT``) form one group and
    are evaluated once per scenario."""
    index: dict[tuple[object, ...], int] = {}
    groups: list[list[Decision]] = []
    row_group: list[int] = []
    requests: dict[str, list[Request]] = {}  # per principal account, built once
    for t in targets:
        scp, rcp = model.chain(t, "SCP"), model.chain(t, "RCP")
        acct = model.account_id(t) or EXAMPLE_ACCOUNT
        key = (scp.key if scp else None, rcp.key if rcp else None, acct)
        g = index.get(key)
        if g is None:
            g = index[key] = len(groups)
            reqs = requests.get(acct)
            if reqs is None:
                reqs = requests[acct] = [model.request(t, s.action, s.resource, s.context,
                                                       s.principal) for s in scenarios]
            groups.append(model.decide_many(t, reqs))
        row_group.append(g)
    return row_group, groups


def decisions(model: OrgModel, targets: Sequence[str],
              scenarios: Sequence[Scenario]) -> dict[tuple[str, str], Decision]:
    """Every ``(target, scenario name) -> Decision``."""
    row_group, groups = columns(model, targets, scenarios)
    out: dict[tuple[str, str], Decision] = {}
    for t, g in zip(targets, row_group, strict=True):
        labels = {c.kind: c.labels for c in (model.chain(t, "SCP"), model.chain(t, "RCP")) if c}
        for s, d in zip(scenarios, groups[g], strict=True):
            out[(t, s.name)] = d.relabel(labels)  # the group's decision, naming t's levels
    return out


# Cell codes: a chain's code is the largest of its levels' (an explicit Deny anywhere
# wins over a level without an Allow, which wins over allow).
ALLOW, MISSING, DENY, EXEMPT = 0, 1, 2, 3
CELLS = np.array(["allow", "deny", "deny", "exempt"], dtype=object)


class _Vectors:
    """Decision codes for a list of scenarios, one numpy vector per level, cached per
    (policies at the level, principal account); a target's row is the elementwise
    maximum of its levels' vectors. Explanations come from ``decisions``; this path
    only fills the matrix, so a thousand accounts cost what their distinct levels cost."""

    def __init__(self, model: OrgModel, scenarios: Sequence[Scenario]) -> None:
        self.model = model
        self.scenarios = scenarios
        self.ev = model.evaluator
        self._reqs: dict[str, tuple[list[Request], list[int]]] = {}
        self._levels: dict[tuple[object, ...], np.ndarray] = {}
        self._rows: dict[tuple[object, ...], np.ndarray] = {}

    def requests(self, target: str, acct: str) -> tuple[list[Request], list[int]]:
        got = self._reqs.get(acct)
        if got is None:
            reqs = [self.model.request(target, s.action, s.resource, s.context, s.principal)
                    for s in self.scenarios]
            got = self._reqs[acct] = (reqs, [self.ev.request_id(r) for r in reqs])
        return got

    def level(self, level: Level, acct: str, reqs: list[Request], rids: list[int]) -> np.ndarray:
        key = (tuple(id(p) for p in level.policies), acct)
        got = self._levels.get(key)
        if got is None:
            result = self.ev.policy_result
            codes = []
            for req, rid in zip(reqs, rids, strict=True):
                code = MISSING
                for p in level.policies:
                    deny, allow = result(p, req, rid)
                    if deny is not None:
                        code = DENY
                        break
                    if allow is not None:
                        code = ALLOW
                codes.append(code)
            got = self._levels[key] = np.array(codes, dtype=np.int8)
        return got

    def chain(self, c: Chain | None, acct: str, reqs: list[Request],
              rids: list[int]) -> np.ndarray | None:
        if c is None:
            return None
        if not c.levels:
            return np.zeros(len(reqs), dtype=np.int8)
        return np.maximum.reduce([self.level(lv, acct, reqs, rids) for lv in c.levels])

    def row(self, target: str) -> np.ndarray:
        scp, rcp = self.model.chain(target, "SCP"), self.model.chain(target, "RCP")
        acct = self.model.account_id(target) or EXAMPLE_ACCOUNT
        mgmt = self.model.management_account
        if self.model.resolve(target) == MANAGEMENT:
            mgmt = mgmt or acct
        key = (scp.key if scp else None, rcp.key if rcp else None, acct, mgmt)
        got = self._rows.get(key)
        if got is None:
            reqs, rids = self.requests(target, acct)
            # Where each policy type applies (policy/exemptions.py, as the evaluator asks).
            scp_on = np.array([scp_exemption(r, mgmt) is None for r in reqs], dtype=bool)
            rcp_on = np.array([rcp_exemption(r, mgmt) is None for r in reqs], dtype=bool)
            codes = np.zeros(len(reqs), dtype=np.int8)
            s_codes = self.chain(scp, acct, reqs, rids)
            r_codes = self.chain(rcp, acct, reqs, rids)
            if s_codes is not None:
                codes = np.maximum(codes, np.where(scp_on, s_codes, ALLOW))
            if r_codes is not None:
                codes = np.maximum(codes, np.where(rcp_on, r_codes, ALLOW))
            applies = np.zeros(len(reqs), dtype=bool)
            if scp is not None:
                applies |= scp_on
            if rcp is not None:
                applies |= rcp_on
            if scp is not None or rcp is not None:
                codes = np.where(applies, codes, EXEMPT).astype(np.int8)
            got = self._rows[key] = codes
        return got


def access_matrix(model: OrgModel, targets: Sequence[str] | None = None,
                  scenarios: Sequence[Scenario] | None = None) -> pd.DataFrame:
    """Targets (rows) x scenarios (columns) -> ``allow`` / ``deny`` / ``exempt``.

    The same decisions as ``decisions`` (a test holds them equal), computed as numpy
    vectors per distinct level and shared by every target on the same policy path."""
    targets = list(targets) if targets is not None else default_targets(model)
    scenarios = list(scenarios) if scenarios is not None else scenarios_from_tests(model)
    vec = _Vectors(model, scenarios)
    rows = [vec.row(t) for t in targets]
    data = CELLS[np.vstack(rows)] if rows else np.empty((0, len(scenarios)), dtype=object)
    return pd.DataFrame(data, index=pd.Index(targets, name="target"),
                        columns=pd.Index([s.name for s in scenarios], name="scenario"))


def style_matrix(frame: pd.DataFrame):  # -> pandas.io.formats.style.Styler
    """The matrix coloured by decision (green allow, red deny, grey exempt)."""
    return frame.style.map(lambda v: f"background-color: {COLOURS.get(v, '')}")


#: Most cells a styled table shows; beyond it the matrix is summarised (a styled table of
#: 1,000 accounts x 90 scenarios made a 62 MB record) and written whole as CSV.
MAX_STYLED_CELLS = 2500
MATRIX_CSV = "access_matrix.csv"


def summarise_matrix(frame: pd.DataFrame, spec: Any) -> pd.DataFrame:
    """Decisions counted per level: Root and each OU as one row, the accounts of each OU
    together as one row (``"<OU> (accounts)"``), columns allow/deny/exempt and targets."""
    def group(key: str) -> str:
        if not key.startswith("account:"):
            return key
        acct = spec.account(key.removeprefix("account:"))
        ou = spec.normalize_target(acct.ou) if acct is not None and acct.ou else "Root"
        return f"{ou} (accounts)"

    groups = [group(k) for k in frame.index]
    counts = {d: (frame == d).sum(axis=1).groupby(groups, sort=False).sum()
              for d in ("allow", "deny", "exempt")}
    out = pd.DataFrame(counts).fillna(0).astype(int)
    out["targets"] = pd.Series(groups).value_counts().reindex(out.index).to_numpy()
    return out


def matrix_view(frame: pd.DataFrame, spec: Any, run_dir: str | Path = ""):
    """What notebook 04 shows: the styled matrix (targets as columns) when it is small;
    at scale, the counts per level (``summarise_matrix``) with the whole matrix written to
    ``<run_dir>/access_matrix.csv`` (a data file for a reader's own tools)."""
    if frame.size <= MAX_STYLED_CELLS:
        return style_matrix(frame.T)
    if run_dir:
        path = Path(run_dir) / MATRIX_CSV
        frame.to_csv(path)
        print(f"{frame.shape[0]} targets x {frame.shape[1]} scenarios: counts per level "
              f"below; every cell in {MATRIX_CSV} in the run folder")
    return summarise_matrix(frame, spec)


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
