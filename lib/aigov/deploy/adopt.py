"""Map what discovery found to the program's logical names: adoption, never duplication.

Every spec resource that already exists in the live organization gets its import id
and the live inputs a Pulumi import must be declared with. Import ids follow the
pulumi_aws (Terraform provider) import formats: the organization id ``o-...``, an OU id,
an account id, a policy id ``p-...``, and ``<target id>:<policy id>`` for an
attachment. The AWS-managed FullAWSAccess is never imported: it is not ours to edit.
"""

from __future__ import annotations

from collections.abc import Mapping

from aigov.deploy.program import (
    ORGANIZATION,
    Adopted,
    account_name,
    attachment_name,
    attachments,
    ou_name,
    policy_name,
)
from aigov.org.inventory import Inventory
from aigov.policy.render import RenderedPolicy
from aigov.spec.model import Spec


def adoption(spec: Spec, rendered: Mapping[str, RenderedPolicy],
             inv: Inventory) -> dict[str, Adopted]:
    """Import ids (with live inputs) for every spec resource that exists in ``inv``."""
    out: dict[str, Adopted] = {}
    inv = inv.bind(spec)
    if not inv.exists:
        return out
    out[ORGANIZATION] = Adopted(inv.organization_id or "", {
        "feature_set": inv.feature_set,
        "enabled_policy_types": sorted(inv.enabled_policy_types)})
    for path in spec.ou_paths():
        ou = inv.ous.get(path)
        if ou is not None:
            out[ou_name(path)] = Adopted(ou.id, {"name": ou.name, "parent_id": ou.parent_id,
                                                 "tags": dict(ou.tags) or None})
    for acct in spec.accounts:
        handle = spec.account_key(acct).removeprefix("account:")
        live = inv.accounts.get(handle)
        if live is not None:
            out[account_name(handle)] = Adopted(live.id, {
                "name": live.name, "email": live.email, "parent_id": live.parent_id,
                "tags": dict(live.tags) or None})
    policy_ids: dict[str, str] = {}
    for pol in spec.policies:
        live = inv.policies.get((pol.type, pol.name))
        if live is None or live.aws_managed:
            continue
        policy_ids[pol.name] = live.id
        out[policy_name(pol.name)] = Adopted(live.id, {
            "name": live.name, "type": live.type, "content": live.content,
            "description": live.description or None})
    for pol_name, key in attachments(spec):
        pid = policy_ids.get(pol_name)
        tid = inv.target_id(key)
        pol = spec.policy(pol_name)
        live = inv.policies.get((pol.type, pol_name)) if pol else None
        if pid and tid and live is not None and tid in live.targets:
            out[attachment_name(pol_name, key)] = Adopted(f"{tid}:{pid}", {
                "policy_id": pid, "target_id": tid})
    return out


def import_ids(adopted: Mapping[str, Adopted]) -> dict[str, str]:
    """Logical name -> import id (what ``aigov plan --engine pulumi --offline`` shows)."""
    return {name: a.id for name, a in adopted.items()}
