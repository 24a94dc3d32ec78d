"""What the Pulumi engine may never do, checked on Pulumi's own per-resource steps.

- Accounts are never replaced or deleted. The provider replaces an
  ``aws:organizations/account:Account`` whose ``email`` or ``name`` changes (a new AWS
  account) and deleting one closes it or removes it from the organization; whatever
  ``allow_delete`` says, a preview with such a step is refused, naming the property that
  forces it. (Accounts are also ``protect``-ed in the program, so Pulumi itself refuses.)
- FullAWSAccess is AWS-managed and never in Pulumi's state; the direct engine attaches it
  back *before* ``pulumi up`` (a target that loses its allow-list in the update must not
  be left without an SCP even for a moment: AWS refuses to detach a target's last SCP)
  and takes it away *after* (once the update has attached the replacement).
  ``pulumi_order`` is that order, as the gate replays it.

Steps come from the Automation API's engine events (``on_event``):
``ResourcePreEvent.metadata`` carries the op, the URN, the type, the keys that force a
replacement (``keys``) and the changed keys (``diffs``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aigov.findings import Finding, finding
from aigov.org.plan import FULL_AWS_ACCESS, Change, Plan

ACCOUNT_TYPE = "aws:organizations/account:Account"
DAMAGING_OPS = {"delete", "replace", "create-replacement", "delete-replaced",
                "discard", "discard-replaced", "import-replacement"}


@dataclass(frozen=True)
class Step:
    """One resource step of a Pulumi preview or update."""

    op: str
    urn: str
    type: str
    keys: tuple[str, ...] = ()     # properties that force a replacement
    diffs: tuple[str, ...] = ()    # properties that change

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]

    def as_dict(self) -> dict[str, Any]:
        return {"op": self.op, "name": self.name, "type": self.type,
                "keys": list(self.keys), "diffs": list(self.diffs)}


def step_of(event: Any) -> Step | None:
    """The step an engine event announces (``resource_pre_event``), else None."""
    pre = getattr(event, "resource_pre_event", None)
    if pre is None:
        return None
    meta = pre.metadata
    op = getattr(meta.op, "value", meta.op)
    keys = list(meta.keys or [])
    for prop, diff in (meta.detailed_diff or {}).items():
        kind = str(getattr(diff.diff_kind, "value", diff.diff_kind))
        if kind.endswith("-replace") and prop not in keys:
            keys.append(prop)
    return Step(str(op), meta.urn, meta.type, tuple(keys), tuple(meta.diffs or []))


def account_damage(steps: Iterable[Step]) -> list[Finding]:
    """A finding for each step that would replace or delete an AWS account.

    >>> account_damage([Step("replace", "urn:...::account:ai-dev", ACCOUNT_TYPE, ("email",))]
    ...                )[0].code
    'DEPLOY_ACCOUNT_REPLACE'
    """
    out = []
    for s in steps:
        if s.type != ACCOUNT_TYPE or s.op not in DAMAGING_OPS:
            continue
        if s.op == "delete" or s.op == "discard":
            out.append(finding("DEPLOY_ACCOUNT_DELETE", f"{s.name}: the update would delete "
                               "this account (closing it or removing it from the "
                               "organization)", key=s.name))
        else:
            forced = ", ".join(s.keys or s.diffs) or "a property"
            out.append(finding("DEPLOY_ACCOUNT_REPLACE", f"{s.name}: changing {forced} "
                               "makes the provider replace the account, i.e. create a new "
                               "AWS account", key=s.name))
    return out


def _full_access(change: Change) -> bool:
    return change.kind == "attachment" and change.detail.get("policy") == FULL_AWS_ACCESS


def full_access_split(plan: Plan) -> tuple[Plan, Plan]:
    """``(before up, after up)``: FullAWSAccess re-attachments, then its detachments."""
    faa = [c for c in plan.changes if _full_access(c)]
    return (Plan(tuple(c for c in faa if c.action == "attach")),
            Plan(tuple(c for c in faa if c.action == "detach")))


def pulumi_order(plan: Plan) -> Plan:
    """The direct plan's changes in the order the Pulumi engine makes them.

    FullAWSAccess attachments (direct engine, before ``up``); then Pulumi's update:
    creates, moves, attachments and updates before deletes and detachments (Pulumi
    deletes last unless a resource is replaced); then FullAWSAccess detachments (direct
    engine, after ``up``).
    """
    before, after = full_access_split(plan)
    rest = [c for c in plan.changes if not _full_access(c)]
    removals = [c for c in rest if c.action in ("detach", "delete", "untag")]
    others = [c for c in rest if c not in removals]
    return Plan((*before.changes, *others, *removals, *after.changes))
