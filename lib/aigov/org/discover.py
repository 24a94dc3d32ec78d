"""Read the live organization into an ``Inventory`` with list calls only.

Every list call is paginated. Accounts come from ``ListAccountsForParent`` while walking
the tree (one call per parent, not one DescribeAccount per account); policy contents
need one ``DescribePolicy`` each, since no list call returns them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from aigov.errors import TargetError
from aigov.org.inventory import AccountInfo, Inventory, OUInfo, PolicyInfo
from aigov.target.clients import OrgClients


def _pages(client: Any, op: str, key: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    for page in client.get_paginator(op).paginate(**kwargs):
        yield from page.get(key, [])


def discover(c: OrgClients) -> Inventory:
    """Return the live organization as an ``Inventory`` (empty if there is none)."""
    org = c.organizations
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
        queue = [(root["Id"], "")]
        while queue:
            parent_id, parent_path = queue.pop(0)
            for a in _pages(org, "list_accounts_for_parent", "Accounts", ParentId=parent_id):
                accounts[a["Name"]] = AccountInfo(a["Id"], a["Name"], a["Email"], parent_id,
                                                  a.get("Status", "ACTIVE"))
            for o in _pages(org, "list_organizational_units_for_parent",
                            "OrganizationalUnits", ParentId=parent_id):
                path = f"{parent_path}/{o['Name']}" if parent_path else o["Name"]
                ous[path] = OUInfo(o["Id"], o["Name"], parent_id, path)
                queue.append((o["Id"], path))
        policies: dict[tuple[str, str], PolicyInfo] = {}
        for ptype in sorted(enabled):
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
                     policies=policies, caller_account_id=caller)
