"""Spec vs Inventory -> an ordered list of ``Change``s (the direct engine's plan).

Order matters and is fixed here: the organization, then policy types, then OUs parents
first, then accounts, then moves; then policies and attachments (``plan_policies``). A plan computed from the live state after a partial
apply contains exactly what is left, which is what makes a re-run finish the job.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from aigov.org.inventory import Inventory
from aigov.policy.bundle import Bundle
from aigov.policy.normalize import same_policy
from aigov.policy.types import SCP
from aigov.spec.model import ROOT, Spec

FULL_AWS_ACCESS = "FullAWSAccess"


@dataclass(frozen=True)
class Change:
    """One step of a plan. ``key`` is the spec's name for the thing (OU path, account
    handle: its name, or its id where names repeat; policy name, policy type);
    ``detail`` holds what the step needs."""

    action: str   # create | enable | move | tag | untag | update | attach | detach | delete
    kind: str     # organization | policy_type | ou | account | policy | attachment
    key: str
    detail: dict[str, Any] = field(default_factory=dict)

    def detail_text(self) -> str:
        """``detail`` as ``k=v, ...`` without the (long) policy content."""
        return ", ".join(f"{k}={v}" for k, v in self.detail.items() if k != "content")

    def describe(self) -> str:
        extra = self.detail_text()
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
                 "detail": c.detail_text()} for c in self.changes]

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
    changes: list[Change] = []  # ``inv`` is bound to the spec by build_plan()
    if not inv.exists:
        changes.append(Change("create", "organization", "organization",
                              {"feature_set": spec.organization.feature_set}))
    for ptype in spec.organization.enabled_policy_types:
        if ptype not in inv.enabled_policy_types:
            changes.append(Change("enable", "policy_type", ptype))
    for path, ou in spec.walk_ous():
        if path not in inv.ous:
            parent = path.rpartition("/")[0] or ROOT
            changes.append(Change("create", "ou", path, {"parent": parent, **_tagged(ou.tags)}))
        elif ou.tags:  # tags are managed only where the spec declares some
            changes.extend(tag_changes("ou", path, inv.ous[path].tags, ou.tags))
    for acct in spec.accounts:
        want = spec.normalize_target(acct.ou)
        # The key is the spec's handle: the name, or the id of an account whose name the
        # spec repeats (AWS lets names repeat); ``name`` then rides along for CreateAccount.
        key = spec.account_key(acct).removeprefix("account:")
        named = {"name": acct.name} if key != acct.name else {}
        live = inv.accounts.get(key)
        if live is None:
            changes.append(Change("create", "account", key, {
                **named, "email": acct.email, "ou": want, **_tagged(acct.tags)}))
            continue
        if inv.path_of_parent(live.parent_id) != want:
            changes.append(Change("move", "account", key,
                                  {"from": inv.path_of_parent(live.parent_id), "to": want,
                                   "id": live.id}))
        if acct.tags:
            changes.extend(tag_changes("account", key, live.tags, acct.tags))
    return changes


def _tagged(tags: dict[str, str]) -> dict[str, Any]:
    return {"tags": dict(sorted(tags.items()))} if tags else {}


def tag_changes(kind: str, key: str, live: dict[str, str],
                want: dict[str, str]) -> list[Change]:
    """The spec's tags are the whole set for an OU or account whose entry declares tags:
    ``tag`` what is missing or different (TagResource), ``untag`` the rest (UntagResource).
    An entry without tags leaves the live tags alone, and they are not even read
    (``discover.tag_scope``: one ListTagsForResource per resource otherwise).

    >>> [c.describe() for c in tag_changes("ou", "AI", {"a": "1", "b": "2"}, {"a": "9"})]
    ['tag ou AI (tags={\'a\': \'9\'})', "untag ou AI (keys=['b'])"]
    """
    out = []
    differ = {k: v for k, v in sorted(want.items()) if live.get(k) != v}
    if differ:
        out.append(Change("tag", kind, key, {"tags": differ}))
    extra = sorted(set(live) - set(want))
    if extra:
        out.append(Change("untag", kind, key, {"keys": extra}))
    return out


def _live_full_aws_access(spec: Spec, inv: Inventory) -> set[str]:
    """Levels that hold FullAWSAccess once the structure half has run: what discovery saw,
    plus every level AWS attaches it to by itself (all of them when SCPs get enabled now,
    each OU and account created now)."""
    live = inv.policies.get((SCP, FULL_AWS_ACCESS))
    if SCP not in inv.enabled_policy_types or live is None:
        return set(spec.targets())
    held = {inv.key_of(t) or t for t in live.targets}
    return held | {t for t in spec.targets() if inv.target_id(t) is None}


def plan_policies(bundle: Bundle, inv: Inventory, allow_delete: bool = False) -> list[Change]:
    """Policies and attachments, in the order that never leaves a level without an Allow.

    create policies -> attach (new allow-lists land first) -> update contents -> detach
    (FullAWSAccess last of all, once its replacement is attached) -> delete (only with
    ``allow_delete``, after detaching everywhere). AWS-managed policies are never
    updated or deleted; a policy the spec does not name is left alone unless
    ``allow_delete``.
    """
    spec, rendered = bundle.spec, bundle.rendered
    creates, attaches, updates, detaches, deletes = [], [], [], [], []
    live_pairs = inv.attachments()
    for pol in spec.policies:
        doc = rendered[pol.name]
        live = inv.policies.get((pol.type, pol.name))
        if live is None:
            creates.append(Change("create", "policy", pol.name, {
                "type": pol.type, "description": pol.description, "content": doc.text}))
        elif not live.aws_managed and (not same_policy(live.content, doc.text)
                                       or live.description != pol.description):
            fields = [f for f, differs in (
                ("content", not same_policy(live.content, doc.text)),
                ("description", live.description != pol.description)) if differs]
            updates.append(Change("update", "policy", pol.name, {
                "type": pol.type, "fields": fields, "description": pol.description,
                "content": doc.text}))
        wanted = {spec.normalize_target(t) for t in pol.targets}
        for key in sorted(wanted):
            if (pol.type, pol.name, key) not in live_pairs:
                attaches.append(_attachment("attach", pol.type, pol.name, key))
        if live is not None and not live.aws_managed:
            for _t, _n, key in sorted(p for p in live_pairs if p[:2] == (pol.type, pol.name)):
                if key not in wanted:
                    detaches.append(_attachment("detach", pol.type, pol.name, key))
    if SCP in spec.organization.enabled_policy_types:
        held = _live_full_aws_access(spec, inv)
        for key in spec.targets():
            want = spec.full_aws_access_at(key)
            if want and key not in held:
                attaches.append(_attachment("attach", SCP,
                                            FULL_AWS_ACCESS, key))
            elif not want and key in held:
                detaches.append(_attachment("detach", SCP,
                                            FULL_AWS_ACCESS, key))
    if allow_delete:
        named = {(p.type, p.name) for p in spec.policies}
        for (ptype, name), live in sorted(inv.policies.items()):
            if live.aws_managed or (ptype, name) in named:
                continue
            for _t, _n, key in sorted(p for p in live_pairs if p[:2] == (ptype, name)):
                detaches.append(_attachment("detach", ptype, name, key))
            deletes.append(Change("delete", "policy", name, {"type": ptype}))
    return [*creates, *attaches, *updates, *detaches, *deletes]


def _attachment(action: str, ptype: str, policy: str, target: str) -> Change:
    return Change(action, "attachment", f"{policy} -> {target}",
                  {"policy": policy, "type": ptype, "target": target})


def build_plan(bundle: Bundle | Spec, inv: Inventory, allow_delete: bool = False) -> Plan:
    """The direct engine's whole plan from the live state: structure, then policies and
    attachments, from the bundle's rendered documents (a bare ``Spec`` gets a bundle of
    its own)."""
    bundle = Bundle.of(bundle)
    inv = inv.bind(bundle.spec)  # accounts as the spec means them (by id where it gives one)
    return Plan(tuple([*plan_structure(bundle.spec, inv),
                       *plan_policies(bundle, inv, allow_delete)]))
