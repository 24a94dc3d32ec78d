"""Notebook 06's audit of the live organization: drift, effective policies, coverage.

Everything here is computed from what discovery read (list and describe calls only), not
from the spec: an auditor asks what applies now. Where the two differ, the drift table
says how. The management account is listed but marked exempt: SCPs and RCPs never apply
to it (AWS Organizations User Guide, "SCP effects on permissions").
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aigov.findings import Finding, Severity
from aigov.org.discover import tag_scope
from aigov.org.drift import drift, drift_rows, effective_drift_for
from aigov.org.inventory import AccountInfo, Inventory
from aigov.org.shared import discover_shared
from aigov.policy.bundle import Bundle
from aigov.policy.types import RCP, SCP
from aigov.spec.model import Spec
from aigov.target.clients import OrgClients

# imported by the methods that make a table; a kernel started ahead for notebook 06
# imports it while the previous notebook runs (runbook/kernels.py)
DEFERRED_IMPORTS = ("pandas",)


@dataclass(frozen=True)
class LiveLevel:
    """One level of a target's path in the live organization (``policy.evaluate.Level`` is
    the compiled form the evaluator reads): its key (``Root``, OU path, ``account:NAME``) and
    the policies of each type attached directly there."""

    key: str
    id: str
    policies: dict[str, tuple[str, ...]] = field(default_factory=dict)  # type -> names


def path_ids(inv: Inventory, target_id: str) -> list[str]:
    """Ids from the root down to ``target_id`` (an OU or account id)."""
    parents = {o.id: o.parent_id for o in inv.ous.values()}
    parents.update({a.id: a.parent_id for a in inv.accounts_by_id.values()})
    chain = [target_id]
    while chain[-1] in parents and len(chain) < 10:  # AWS: at most 5 OU levels
        chain.append(parents[chain[-1]])
    return list(reversed(chain))


def _accounts(inv: Inventory) -> list[tuple[str, AccountInfo]]:
    """Every live account by its key: as bound to the spec, and by id for an account
    whose name another holds (AWS lets names repeat), so none is left out."""
    return [*sorted(inv.accounts.items()),
            *((a.id, a) for a in sorted(inv.shadowed_accounts, key=lambda a: a.id))]


def levels(inv: Inventory, target_id: str) -> list[LiveLevel]:
    """The levels of a target's path with the policies attached at each (live)."""
    out = []
    for tid in path_ids(inv, target_id):
        attached: dict[str, list[str]] = {}
        for (ptype, name), pol in sorted(inv.policies.items()):
            if tid in pol.targets:
                attached.setdefault(ptype, []).append(name)
        out.append(LiveLevel(inv.key_of(tid) or tid, tid,
                         {t: tuple(n) for t, n in attached.items()}))
    return out


def _custom(inv: Inventory, names: tuple[str, ...], ptype: str) -> list[str]:
    return [n for n in names if not inv.policies[(ptype, n)].aws_managed]


@dataclass
class AuditReport:
    spec: Spec
    inventory: Inventory
    findings: list[Finding]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    def _targets(self) -> list[tuple[str, str, str]]:
        """(key, kind, id) of every OU and account of the live organization."""
        inv = self.inventory
        rows = [(path, "ou", ou.id) for path, ou in sorted(inv.ous.items())]
        rows += [(f"account:{name}", "account", a.id) for name, a in _accounts(inv)]
        return rows

    def drift_frame(self):  # -> pandas.DataFrame
        import pandas as pd

        return pd.DataFrame(drift_rows(self.findings),
                            columns=["code", "severity", "key", "message"])

    def effective_rows(self) -> list[dict[str, Any]]:
        """For each account, each level of its path with the SCPs and RCPs attached
        there. Together the rows of one account are its effective SCPs and RCPs."""
        inv = self.inventory
        rows = []
        for key, kind, tid in self._targets():
            if kind != "account":
                continue
            exempt = tid == inv.management_account_id
            for depth, lv in enumerate(levels(inv, tid)):
                rows.append({"account": key.removeprefix("account:"), "depth": depth,
                             "level": lv.key, "SCPs": ", ".join(lv.policies.get(SCP, ())),
                             "RCPs": ", ".join(lv.policies.get(RCP, ())),
                             "note": "management account: exempt from SCPs and RCPs"
                             if exempt else ""})
        return rows

    def effective_frame(self):  # -> pandas.DataFrame
        import pandas as pd

        return pd.DataFrame(self.effective_rows(),
                            columns=["account", "depth", "level", "SCPs", "RCPs", "note"])

    def ai_settings_rows(self) -> list[dict[str, str]]:
        """Per account (live): the effective AI opt-out setting of each service and the
        Bedrock guardrail enforced in each Region, merged from the live policies by AWS's
        inheritance rules (``org/management.py``)."""
        from aigov.org.management import ai_settings_rows, live_ai_settings

        inv = self.inventory
        return ai_settings_rows((name, live_ai_settings(inv, a.id))
                                for name, a in _accounts(inv))

    def ai_settings_frame(self):  # -> pandas.DataFrame
        import pandas as pd

        return pd.DataFrame(self.ai_settings_rows(),
                            columns=["account", "setting", "where", "value"])

    def coverage_rows(self) -> list[dict[str, Any]]:
        """Per OU and account: the custom (not AWS-managed) SCPs and RCPs on its path."""
        inv = self.inventory
        rows = []
        for key, kind, tid in self._targets():
            if tid == inv.management_account_id:
                continue
            lvs = levels(inv, tid)
            scps = [n for lv in lvs for n in _custom(inv, lv.policies.get(SCP, ()), SCP)]
            rcps = [n for lv in lvs for n in _custom(inv, lv.policies.get(RCP, ()), RCP)]
            missing = [t for t, names, on in (("SCP", scps, SCP in inv.enabled_policy_types),
                                              ("RCP", rcps, RCP in inv.enabled_policy_types))
                       if not names or not on]
            rows.append({"target": key, "kind": kind, "custom SCPs": len(scps),
                         "custom RCPs": len(rcps), "not covered by": ", ".join(missing)})
        return rows

    def uncovered_frame(self):  # -> pandas.DataFrame
        """OUs and accounts that no guardrail covers: only FullAWSAccess (or
        RCPFullAWSAccess, or a disabled type) on their whole path for SCPs or RCPs."""
        import pandas as pd

        rows = [r for r in self.coverage_rows() if r["not covered by"]]
        return pd.DataFrame(rows, columns=["target", "kind", "custom SCPs", "custom RCPs",
                                           "not covered by"])

    def summary(self) -> dict[str, Any]:
        """The headline results for the run record (``ctx.record``)."""
        inv = self.inventory
        return {"drift_findings": len(self.findings), "drift_errors": len(self.errors),
                "drift_codes": dict(sorted(Counter(f.code for f in self.findings).items())),
                "organization_id": inv.organization_id, "ous": len(inv.ous),
                "accounts": len(inv.accounts_by_id),
                "policies": sum(not p.aws_managed for p in inv.policies.values()),
                "uncovered_targets": sum(bool(r["not covered by"])
                                         for r in self.coverage_rows())}

    def summary_frame(self):  # -> pandas.DataFrame
        import pandas as pd

        return pd.Series({k: (", ".join(f"{c}: {n}" for c, n in v.items()) or "none")
                          if isinstance(v, dict) else v
                          for k, v in self.summary().items()}, name="value").to_frame()


def audit_report(bundle: Bundle | Spec, c: OrgClients) -> AuditReport:
    """Discover the live organization (read calls only) and audit it against the spec's
    bundle (its rendered documents)."""
    bundle = Bundle.of(bundle)
    inv = discover_shared(c, tags=tag_scope(bundle.spec)).bind(
        bundle.spec, strict=False)  # accounts keyed as the spec means
    found = drift(bundle, inv, file=bundle.file)
    return AuditReport(bundle.spec, inv, [*found, *effective_drift_for(bundle, inv, c)])
