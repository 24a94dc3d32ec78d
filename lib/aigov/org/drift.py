"""Drift: the live organization (an ``Inventory``) against the spec, as findings.

What is missing or different comes from the direct engine's own plan (``plan.py``): a
change the plan would make is a difference, so drift and deploy can never disagree about
what "in sync" means. Two things the plan leaves alone are added here: OUs and accounts
the spec does not name (the plan never deletes structure), and policy types enabled
beyond the spec. Policy contents are compared semantically, by the plan itself
(``policy/normalize.py``), because AWS keeps the text it was sent and another tool may
have reordered keys or values.
On the aws target each account's effective management policies (AI opt-out, tag,
Bedrock, backup) are also compared with AWS's ``DescribeEffectivePolicy``
(``org/management.py``). Only read calls are made; codes are in ``codes/drift.yaml``.
"""

from __future__ import annotations

from collections.abc import Mapping

from aigov.findings import Finding, finding
from aigov.org.inventory import Inventory
from aigov.org.plan import Change, plan_policies, plan_structure
from aigov.policy.bundle import Bundle
from aigov.policy.render import RenderedPolicy
from aigov.spec.model import Spec
from aigov.target.clients import OrgClients

# Change (action, kind) of the plan -> drift code.
PLAN_CODES = {
    ("enable", "policy_type"): "DRIFT_POLICY_TYPE_DISABLED",
    ("create", "ou"): "DRIFT_OU_MISSING",
    ("create", "account"): "DRIFT_ACCOUNT_MISSING",
    ("move", "account"): "DRIFT_ACCOUNT_WRONG_OU",
    ("create", "policy"): "DRIFT_POLICY_MISSING",
    ("delete", "policy"): "DRIFT_POLICY_UNMANAGED",
    ("attach", "attachment"): "DRIFT_ATTACHMENT_MISSING",
    ("detach", "attachment"): "DRIFT_ATTACHMENT_UNMANAGED",
    ("tag", "ou"): "DRIFT_TAGS", ("untag", "ou"): "DRIFT_TAGS",
    ("tag", "account"): "DRIFT_TAGS", ("untag", "account"): "DRIFT_TAGS",
}


# -- the drift check -----------------------------------------------------------------

def drift(bundle: Bundle | Spec, inventory: Inventory, file: str = "") -> list[Finding]:
    """Every difference between the live organization and the spec (its bundle: the
    rendered documents are the bundle's), as findings. ``file``: the spec's path, named
    in each finding.
    """
    bundle = Bundle.of(bundle)
    spec, rendered = bundle.spec, bundle.rendered
    # Accounts as the spec means them (by id where given); a repeated name is a drift
    # finding here (DRIFT_DUPLICATE_ACCOUNT), refused only by plan and apply.
    inv = inventory.bind(spec, strict=False)
    if not inv.exists:
        return [finding("DRIFT_NO_ORGANIZATION", file=file, key="organization")]
    found: list[Finding] = []
    org = spec.organization
    if inv.feature_set and inv.feature_set != org.feature_set:
        found.append(finding("DRIFT_FEATURE_SET", f"feature set {inv.feature_set}, the spec "
                             f"says {org.feature_set}", file=file, key="organization"))
    if org.management_account_id and inv.management_account_id != org.management_account_id:
        found.append(finding("DRIFT_MANAGEMENT_ACCOUNT", f"management account "
                             f"{inv.management_account_id}, the spec says "
                             f"{org.management_account_id}", file=file, key="organization"))
    for ptype in sorted(inv.enabled_policy_types - set(org.enabled_policy_types)):
        found.append(finding("DRIFT_POLICY_TYPE_UNMANAGED", f"policy type {ptype} is enabled "
                             "but not in the spec", file=file, key=ptype))
    spec_ous = set(spec.ou_paths())
    for path, ids in inv.duplicate_ous.items():
        found.append(finding("DRIFT_DUPLICATE_OU", f"OU {path} exists {len(ids)} times under "
                             f"one parent ({', '.join(ids)})", file=file, key=path))
    for what, ids in inv.duplicate_accounts.items():
        pinned = {a.id for a in spec.accounts if what == f"name {a.name}" and a.id}
        if pinned & set(ids):
            continue  # the spec pins the ones it means by id: no ambiguity
        found.append(finding("DRIFT_DUPLICATE_ACCOUNT", f"accounts {', '.join(ids)} share the "
                             f"{what}", file=file, key=what))
    for path in sorted(set(inv.ous) - spec_ous):
        found.append(finding("DRIFT_OU_UNMANAGED", f"OU {path} ({inv.ous[path].id}) is not "
                             "in the spec", file=file, key=path))
    named = {spec.account_key(a).removeprefix("account:") for a in spec.accounts} | {
        a.id for a in spec.accounts if a.id}
    for name, acct in sorted(inv.accounts.items()):
        if name in named or acct.id in named or acct.id == inv.management_account_id:
            continue
        found.append(finding("DRIFT_ACCOUNT_UNMANAGED", f"account {acct.name} ({acct.id}) in "
                             f"{inv.path_of_parent(acct.parent_id)} is not in the spec",
                             file=file, key=f"account:{name}"))
    changes = [*plan_structure(spec, inv),
               *plan_policies(bundle, inv, allow_delete=True)]
    unmanaged = {c.key for c in changes if (c.action, c.kind) == ("delete", "policy")}
    # Discovery cannot list the policies of a disabled type: DRIFT_POLICY_TYPE_DISABLED
    # says it once instead of every policy and attachment of that type as missing.
    disabled = set(org.enabled_policy_types) - inv.enabled_policy_types
    for change in changes:
        if change.kind == "attachment" and change.detail["policy"] in unmanaged:
            continue  # named by the unmanaged policy's own finding
        if change.kind in ("policy", "attachment") and change.detail.get("type") in disabled:
            continue
        found.extend(_from_change(change, inv, rendered, file))
    return found


def _from_change(c: Change, inv: Inventory, rendered: Mapping[str, RenderedPolicy],
                 file: str) -> list[Finding]:
    if (c.action, c.kind) == ("update", "policy"):
        return _policy_update(c, inv, rendered, file)
    code = PLAN_CODES.get((c.action, c.kind))
    if code is None:  # the plan's "create organization" is handled before the plan
        return []
    d = c.detail
    if c.kind == "account" and c.action == "move":
        message = f"account {c.key} is in {d['from']}, the spec puts it in {d['to']}"
        key = f"account:{c.key}"
    elif c.action in ("tag", "untag"):
        key = c.key if c.kind == "ou" else f"account:{c.key}"
        live = (inv.ous[c.key] if c.kind == "ou" else inv.accounts[c.key]).tags
        if c.action == "tag":
            message = f"{c.kind} {c.key}: tags " + ", ".join(
                f"{k}={live[k]!r} (spec {v!r})" if k in live else f"{k} missing (spec {v!r})"
                for k, v in d["tags"].items())
        else:
            message = f"{c.kind} {c.key}: tags not in the spec: " + ", ".join(
                f"{k}={live[k]!r}" for k in d["keys"])
    elif c.kind == "attachment":
        where = "not attached to" if c.action == "attach" else "attached to"
        extra = "" if c.action == "attach" else ", which the spec does not say"
        message = f"{d['type']} {d['policy']} is {where} {d['target']}{extra}"
        key = d["target"]
    elif c.kind == "policy" and c.action == "delete":
        pol = inv.policies[(d["type"], c.key)]
        targets = sorted(inv.key_of(t) or t for t in pol.targets)
        message = (f"{d['type']} {c.key} ({pol.id}) is not in the spec; attached to "
                   f"{', '.join(targets) if targets else 'nothing'}")
        key = c.key
    else:
        message = f"{c.kind.replace('_', ' ')} {c.key}: {finding(code).message}"
        key = c.key
    return [finding(code, message, file=file, key=key)]


def _policy_update(c: Change, inv: Inventory, rendered: Mapping[str, RenderedPolicy],
                   file: str) -> list[Finding]:
    """An update the plan wants, as findings: one per field that differs (the plan
    compared the contents with ``same_policy``)."""
    ptype = c.detail["type"]
    live = inv.policies[(ptype, c.key)]
    out = []
    if "content" in c.detail.get("fields", ()):
        out.append(finding("DRIFT_POLICY_CHANGED", f"{ptype} {c.key} ({live.id}): the live "
                           "content differs from the spec's rendered document",
                           file=file, key=c.key))
    if live.description != c.detail.get("description", ""):
        out.append(finding("DRIFT_POLICY_DESCRIPTION", f"{ptype} {c.key}: description "
                           f"{live.description!r}, the spec says "
                           f"{c.detail.get('description', '')!r}", file=file, key=c.key))
    return out


def drift_rows(findings: list[Finding]) -> list[dict[str, str]]:
    """One row per finding for a table: code, severity, key, message."""
    return [{"code": f.code, "severity": f.severity.value, "key": str(f.location.get("key", "")),
             "message": f.message} for f in findings]


def check_drift(spec_path: str | None = None, endpoint_url: str | None = None,
                region: str | None = None) -> list[Finding]:
    """``aigov drift``: the spec's bundle against the live organization (read calls
    only). Bad spec: ``SpecError``; unreachable target: ``TargetError``."""
    from aigov.org.discover import discover, tag_scope
    from aigov.target.clients import clients

    bundle = Bundle.load(spec_path)
    _ = bundle.rendered  # a template that does not render: exit 2 before any call
    c = clients(endpoint_url, region)
    inv = discover(c, tags=tag_scope(bundle.spec))
    found = drift(bundle, inv, file=bundle.file)
    return [*found, *effective_drift_for(bundle, inv, c)]


def effective_drift_for(bundle: Bundle, inv: Inventory, c: OrgClients) -> list[Finding]:
    """Effective management policies against AWS's DescribeEffectivePolicy, on the aws
    target only: moto does not implement the call, and aigov never fakes its answer."""
    from aigov.org.management import effective_drift

    if c.is_emulator or not inv.exists:
        return []
    return effective_drift(bundle.spec, inv, c.organizations, file=bundle.file,
                           documents={n: r.document for n, r in bundle.rendered.items()})
