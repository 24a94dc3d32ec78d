"""Spec vs Inventory -> an ordered list of ``Change``s (the direct engine's plan).

Order matters and is fixed here: the organization, then policy types, then OUs parents
first, then accounts, then moves. A plan computed from the live state after a partial
apply contains exactly what is left, which is what makes a re-run finish the job.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from aigov.org.inventory import Inventory
from aigov.spec.model import ROOT, Spec


@dataclass(frozen=True)
class Change:
    """One step of a plan. ``key`` is the spec's name for the thing (OU path, account
    name, policy name, policy type); ``detail`` holds what the step needs."""

    action: str   # create | enable | move | update | attach | detach | delete
    kind: str     # organization | policy_type | ou | account | policy | attachment
    key: str
    detail: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        extra = ", ".join(f"{k}={v}" for k, v in self.detail.items() if k != "content")
        return f"{self.action} {self.kind} {self.key}" + (f" ({extra})" if extra else "")


@dataclass(frozen=True)
class Plan:
    changes: tuple[Change, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.changes

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for c in self.changes:
            out[c.action] = out.get(c.action, 0) + 1
        return out

    def rows(self) -> list[dict[str, str]]:
        return [{"action": c.action, "kind": c.kind, "key": c.key,
                 "detail": ", ".join(f"{k}={v}" for k, v in c.detail.items()
                                     if k != "content")} for c in self.changes]

    def table(self):  # -> pandas.DataFrame
        import pandas as pd

        return pd.DataFrame(self.rows(), columns=["action", "kind", "key", "detail"])

    def to_json(self) -> str:
        return json.dumps([asdict(c) for c in self.changes], indent=2, sort_keys=True)

    def render(self) -> str:
        if self.empty:
            return "No changes: the organization matches the spec."
        return "\n".join(f"  {c.describe()}" for c in self.changes)


def plan_structure(spec: Spec, inv: Inventory) -> list[Change]:
    """Organization, policy types, OUs and accounts that the live state lacks."""
    changes: list[Change] = []
    if not inv.exists:
        changes.append(Change("create", "organization", "organization",
                              {"feature_set": spec.organization.feature_set}))
    for ptype in spec.organization.enabled_policy_types:
        if ptype not in inv.enabled_policy_types:
            changes.append(Change("enable", "policy_type", ptype))
    for path, _ou in spec.walk_ous():
        if path not in inv.ous:
            parent = path.rpartition("/")[0] or ROOT
            changes.append(Change("create", "ou", path, {"parent": parent}))
    for acct in spec.accounts:
        want = spec.normalize_target(acct.ou)
        live = inv.accounts.get(acct.name)
        if live is None:
            changes.append(Change("create", "account", acct.name,
                                  {"email": acct.email, "ou": want}))
        elif inv.path_of_parent(live.parent_id) != want:
            changes.append(Change("move", "account", acct.name,
                                  {"from": inv.path_of_parent(live.parent_id), "to": want}))
    return changes


def plan(spec: Spec, inv: Inventory) -> Plan:
    """The direct engine's plan from the live state."""
    return Plan(tuple(plan_structure(spec, inv)))
