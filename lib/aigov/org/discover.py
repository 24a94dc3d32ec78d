"""Read the live organization into an ``Inventory`` with list calls only.

Every list call is paginated. Accounts come from ``ListAccountsForParent`` while walking
the tree (one call per parent, not one DescribeAccount per account); policy contents
need one ``DescribePolicy`` each, since no list call returns them. Tags need one
``ListTagsForResource`` per resource (no Organizations list call returns them), so they
are read only where a caller compares them: ``tag_scope(spec)`` names the OUs and
accounts whose spec entry declares tags (plan and drift), ``"all"`` every one (import,
Pulumi adoption), ``()`` none. What drift cannot see then: docs/contracts/plan-and-drift.md.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from aigov.errors import TargetError
from aigov.org.inventory import AccountInfo, Inventory, OUInfo, PolicyInfo
from aigov.target.clients import OrgClients

if TYPE_CHECKING:
    from aigov.spec.model import Spec

TagScope = Collection[str] | Literal["all"]


def tag_scope(spec: Spec) -> tuple[str, ...]:
    """The OUs (``ou:PATH``) and accounts (``account:NAME``, ``account:ID`` when pinned)
    whose spec entry declares tags: the only ones plan and drift compare tags of. Sorted,
    so that it keys ``org/shared.py``'s stored discovery alike in every kernel."""
    keys = {f"ou:{path}" for path, ou in spec.walk_ous() if ou.tags}
    for acct in spec.accounts:
        if acct.tags:
            keys.add(f"account:{acct.name}")
            if acct.id:
                keys.add(f"account:{acct.id}")
    return tuple(sorted(keys))


def _pages(client: Any, op: str, key: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    for page in client.get_paginator(op).paginate(**kwargs):
        yield from page.get(key, [])


def _tags(org: Any, resource_id: str) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in _pages(org, "list_tags_for_resource", "Tags",
                                                 ResourceId=resource_id)}


def discover(c: OrgClients, *, with_policies: bool = True, tags: TagScope = "all") -> Inventory:
    """Return the live organization as an ``Inventory`` (empty if there is none).

    ``with_policies=False``: the structure only (root, policy types, OUs, accounts), without
    a ``DescribePolicy`` and a ``ListTargetsForPolicy`` per policy; for notebooks 00-02,
    which neither plan nor show policies (the inventory's ``policies`` is then empty).
    ``tags``: whose tags to read (``tag_scope``); the others' ``tags`` are left empty."""
    org = c.organizations

    scope = None if tags == "all" else frozenset(tags)

    def tags_of(rid: str, *keys: str) -> dict[str, str]:
        wanted = scope is None or any(k in scope for k in keys)
        return _tags(org, rid) if wanted else {}
    try:
        caller = c.sts.get_caller_identity()["Account"]
        try:
            desc = org.describe_organization()["Organization"]
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "AWSOrganizationsNotInUseException":
                return Inventory(caller_account_id=caller)
            raise
        root = next(_pages(org, "list_roots", "Roots"))
        enabled = frozenset(t["Type"] for t in root.get("PolicyTypes", [])
                            if t.get("Status") == "ENABLED")
        ous: dict[str, OUInfo] = {}
        accounts: dict[str, AccountInfo] = {}
        shadowed: list[AccountInfo] = []
        dup_ous: dict[str, list[str]] = {}
        seen: list[dict[str, Any]] = []
        queue = [(root["Id"], "")]
        while queue:
            parent_id, parent_path = queue.pop(0)
            for a in _pages(org, "list_accounts_for_parent", "Accounts", ParentId=parent_id):
                seen.append(a)
                info = AccountInfo(a["Id"], a["Name"], a["Email"], parent_id,
                                   a.get("Status", "ACTIVE"),
                                   tags_of(a["Id"], f"account:{a['Name']}", f"account:{a['Id']}"))
                held = accounts.get(a["Name"])
                # AWS lets names repeat. The lowest id keeps the name whatever the
                # listing order; the others are shadowed, and ``Inventory.bind`` keys
                # every account as the spec means it (docs/contracts/accounts.md).
                if held is not None and held.id < info.id:
                    shadowed.append(info)
                else:
                    if held is not None:
                        shadowed.append(held)
                    accounts[a["Name"]] = info
            for o in _pages(org, "list_organizational_units_for_parent",
                            "OrganizationalUnits", ParentId=parent_id):
                path = f"{parent_path}/{o['Name']}" if parent_path else o["Name"]
                if path in ous:
                    dup_ous.setdefault(path, [ous[path].id]).append(o["Id"])
                ous[path] = OUInfo(o["Id"], o["Name"], parent_id, path,
                                   tags_of(o["Id"], f"ou:{path}"))
                queue.append((o["Id"], path))
        policies: dict[tuple[str, str], PolicyInfo] = {}
        for ptype in sorted(enabled) if with_policies else ():
            for summary in _pages(org, "list_policies", "Policies", Filter=ptype):
                pid = summary["Id"]
                content = org.describe_policy(PolicyId=pid)["Policy"]["Content"]
                targets = frozenset(t["TargetId"] for t in _pages(
                    org, "list_targets_for_policy", "Targets", PolicyId=pid))
                policies[(ptype, summary["Name"])] = PolicyInfo(
                    pid, summary["Name"], ptype, summary.get("Description", ""), content,
                    bool(summary.get("AwsManaged")), targets)
    except (ClientError, BotoCoreError) as exc:
        raise TargetError(f"cannot read the organization: {exc}",
                          fix="check the endpoint (--endpoint-url / AWS_ENDPOINT_URL) or "
                          "your AWS credentials") from exc
    return Inventory(organization_id=desc["Id"], feature_set=desc.get("FeatureSet"),
                     management_account_id=desc.get("MasterAccountId"), root_id=root["Id"],
                     enabled_policy_types=enabled, ous=ous, accounts=accounts,
                     policies=policies, caller_account_id=caller,
                     shadowed_accounts=tuple(shadowed),
                     duplicate_ous={k: tuple(v) for k, v in dup_ous.items()},
                     duplicate_accounts=_shared(seen))


def _shared(accounts: list[dict[str, Any]]) -> dict[str, tuple[str, ...]]:
    """Accounts sharing a name or an email (AWS refuses a second account with one email,
    but a name is free; either way the spec cannot tell them apart)."""
    by: dict[str, list[str]] = {}
    for a in accounts:
        by.setdefault(f"name {a['Name']}", []).append(a["Id"])
        by.setdefault(f"email {a['Email'].lower()}", []).append(a["Id"])
    return {k: tuple(v) for k, v in by.items() if len(v) > 1}


def management_account(c: OrgClients) -> str | None:
    """The organization's management account id from one ``DescribeOrganization``
    (its ``MasterAccountId``), or ``None`` without an organization: what simulation needs,
    without discovering the whole tree."""
    try:
        desc = c.organizations.describe_organization()["Organization"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "AWSOrganizationsNotInUseException":
            return None
        raise TargetError(f"cannot read the organization: {exc}",
                          fix="check the endpoint (--endpoint-url / AWS_ENDPOINT_URL) or "
                          "your AWS credentials") from exc
    except BotoCoreError as exc:
        raise TargetError(f"cannot read the organization: {exc}",
                          fix="check the endpoint (--endpoint-url / AWS_ENDPOINT_URL) or "
                          "your AWS credentials") from exc
    return desc.get("MasterAccountId")


def discover_tags(c: OrgClients, resource_ids: Iterable[str]) -> dict[str, dict[str, str]]:
    """Tags of each root, OU, account or policy id (``ListTagsForResource``, paginated).

    No list call returns tags with the resources, so this is one call per resource.
    ``discover`` reads the tags of OUs and accounts itself (plan and drift compare them);
    this is for the root and policies.
    """
    out: dict[str, dict[str, str]] = {}
    try:
        for rid in resource_ids:
            out[rid] = {t["Key"]: t["Value"] for t in _pages(
                c.organizations, "list_tags_for_resource", "Tags", ResourceId=rid)}
    except (ClientError, BotoCoreError) as exc:
        raise TargetError(f"cannot read the tags of {rid}: {exc}",
                          fix="check the endpoint or your AWS credentials "
                          "(organizations:ListTagsForResource)") from exc
    return out
