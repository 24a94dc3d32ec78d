"""The Pulumi program: the Spec as pulumi_aws ``organizations.*`` resources.

One resource per thing the spec declares: the Organization (protected and retained on
delete: Pulumi must never be able to delete an organization), every OU, every account
(protected and retained on delete: the provider replaces an account whose ``email`` or
``name`` changes, which would create a new AWS account, and deleting one closes it; the
driver also refuses any preview that replaces or deletes one), every policy, and every
attachment.

Policy types: the Organization declares the union of the spec's types and the types
enabled live (``live_types``). The provider calls DisablePolicyType for a type dropped
from ``enabled_policy_types``, and AWS then detaches every policy of that type across the
organization (another team's backup policies, say); the program never asks for that. The AWS-managed FullAWSAccess policy is never a resource here: it
is not ours to import or edit (its detachments are done by the direct engine, see
``aigov.deploy.engines``).

Logical names derive from the spec's own keys, so they are stable across runs and a
rename in the spec is a rename in Pulumi, nothing else. AWS lets account names repeat;
the spec then gives each such account its id, and its logical name is made from the id
(a name can repeat, an id never does, and an id never changes)::

    organization
    ou:AI/Development                      OU path from Root
    account:ai-dev                         account name
    account:111122223333                   account id, where accounts share a name
    policy:ai-model-dev-policy             policy name (unique in the spec)
    attach:ai-model-dev-policy->AI/Development   policy -> canonical target key

Pulumi parents mirror the tree: top-level OUs are children of the organization, nested
OUs of their parent OU, accounts and policies of the organization, attachments of their
policy. Accounts are not parented to their OU on purpose: moving an account changes its
``parent_id`` input (an in-place update), never its URN (which would be a replacement).

Adoption: ``imports`` maps a logical name to the AWS id of what already exists (or to an
``Adopted`` carrying the live inputs as well); such resources get ``import_`` so an
existing organization is taken over, never created twice. Pulumi refuses an import whose
inputs differ from what exists, so ``adopt_only=True`` builds only the adopted resources
with their live inputs (a pure import, no change in AWS); the full program then moves
them to the spec in a second update (``aigov.deploy.pulumi_driver`` does both).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aigov.policy.bundle import Bundle
from aigov.policy.render import RenderedPolicy
from aigov.spec.model import ROOT, Spec

ORGANIZATION = "organization"
TYPES = {
    "organization": "aws:organizations/organization:Organization",
    "ou": "aws:organizations/organizationalUnit:OrganizationalUnit",
    "account": "aws:organizations/account:Account",
    "policy": "aws:organizations/policy:Policy",
    "attachment": "aws:organizations/policyAttachment:PolicyAttachment",
}
# Inputs AWS does not let us read back (account creation options) or that the spec does
# not model (trusted service access): never diffed, so an import matches and an update
# never resets what someone enabled outside the spec.
ORGANIZATION_IGNORED = ["awsServiceAccessPrincipals"]
ACCOUNT_IGNORED = ["roleName", "iamUserAccessToBilling", "closeOnDeletion", "createGovcloud"]


def ou_name(path: str) -> str:
    return f"ou:{path}"


def account_name(handle: str) -> str:
    """``handle``: the account's name, or its id when accounts of the spec share the
    name (``Spec.account_key``); logical names must be unique."""
    return f"account:{handle}"


def policy_name(name: str) -> str:
    return f"policy:{name}"


def attachment_name(policy: str, target_key: str) -> str:
    """``target_key`` is canonical: ``Root``, an OU path, or ``account:HANDLE``."""
    return f"attach:{policy}->{target_key}"


def target_name(target_key: str) -> str:
    """Logical name of the resource whose id a target key resolves to."""
    if target_key == ROOT:
        return ORGANIZATION
    if target_key.startswith("account:"):
        return target_key
    return ou_name(target_key)


def type_chain(logical: str) -> list[str]:
    """The resource types from the top of the Pulumi parent chain down to ``logical``."""
    org, ou = TYPES["organization"], TYPES["ou"]
    if logical == ORGANIZATION:
        return [org]
    kind, _, rest = logical.partition(":")
    if kind == "ou":
        return [org, *([ou] * len(rest.split("/")))]
    if kind == "attach":
        return [org, TYPES["policy"], TYPES["attachment"]]
    return [org, TYPES[{"account": "account", "policy": "policy"}[kind]]]


def urn(stack: str, logical: str, project: str = "aigov") -> str:
    """The URN Pulumi gives ``logical`` (the root stack is not part of the type chain).

    >>> urn("aws", "ou:AI/Development")  # doctest: +NORMALIZE_WHITESPACE
    'urn:pulumi:aws::aigov::aws:organizations/organization:Organization$aws:organizations/organizationalUnit:OrganizationalUnit$aws:organizations/organizationalUnit:OrganizationalUnit::ou:AI/Development'
    """
    return format_urn(stack, project, type_chain(logical), logical)


def format_urn(stack: str, project: str, types: list[str], name: str) -> str:
    """Pulumi's URN form, written once: ``urn:pulumi:STACK::PROJECT::T1$T2::NAME``,
    the types of the resource's parents first, then its own."""
    return f"urn:pulumi:{stack}::{project}::{'$'.join(types)}::{name}"


@dataclass(frozen=True)
class Adopted:
    """An existing resource to import: its AWS id and, for an adopt-only build, the live
    inputs (snake_case argument names) it must be declared with for the import to match.
    ``import_=False``: already in the stack's state; an adopt-only build still declares it
    as it is (it may be the parent of what is imported), without importing it again."""

    id: str
    inputs: dict[str, Any] = field(default_factory=dict)
    import_: bool = True


Imports = Mapping[str, "str | Adopted"]


def _adopted(imports: Imports | None, name: str) -> Adopted | None:
    value = (imports or {}).get(name)
    if value is None:
        return None
    return value if isinstance(value, Adopted) else Adopted(str(value))


def attachments(spec: Spec) -> list[tuple[str, str]]:
    """``(policy name, canonical target key)`` for every attachment the spec declares."""
    out: list[tuple[str, str]] = []
    for pol in spec.policies:
        for target in pol.targets:
            pair = (pol.name, spec.normalize_target(target))
            if pair not in out:
                out.append(pair)
    return out


def build(spec: Spec | Bundle, rendered: Mapping[str, RenderedPolicy] | None = None,
          imports: Imports | None = None, adopt_only: bool = False,
          live_types: Iterable[str] = ()) -> dict[str, Any]:
    """Declare the spec's resources in the running Pulumi program; return them by name.

    Runs inside a Pulumi program (the CLI's, the Automation API's inline program, or
    Pulumi's mocks). ``adopt_only``: declare only what ``imports`` names, with its live
    inputs, so the update imports and changes nothing. ``live_types``: the policy types
    enabled in the live organization, kept enabled whatever the spec says.
    """
    import pulumi
    from pulumi_aws import organizations as aws_org

    bundle = Bundle.of(spec, rendered)  # the documents rendered once, by the caller's bundle
    spec, rendered = bundle.spec, bundle.rendered
    out: dict[str, Any] = {}

    def wanted(name: str) -> bool:
        return not adopt_only or _adopted(imports, name) is not None

    def opts(name: str, parent: Any = None, ignore: list[str] | None = None,
             depends_on: list[Any] | None = None, protect: bool = False,
             retain_on_delete: bool = False) -> pulumi.ResourceOptions:
        adopted = _adopted(imports, name)
        ignore = list(ignore or [])
        # protect and retain_on_delete are set on every resource: Pulumi would otherwise
        # inherit the organization's protect into every child.
        return pulumi.ResourceOptions(parent=parent, depends_on=depends_on,
                                      import_=adopted.id if adopted and adopted.import_
                                      else None,
                                      ignore_changes=ignore or None, protect=protect,
                                      retain_on_delete=retain_on_delete)

    def args(logical: str, /, **spec_inputs: Any) -> dict[str, Any]:
        adopted = _adopted(imports, logical)
        if adopt_only and adopted is not None:
            spec_inputs.update(adopted.inputs)
        return spec_inputs

    org = aws_org.Organization(
        ORGANIZATION, **args(ORGANIZATION, feature_set=spec.organization.feature_set,
                             enabled_policy_types=sorted(
                                 set(spec.organization.enabled_policy_types) | set(live_types))),
        opts=opts(ORGANIZATION, ignore=ORGANIZATION_IGNORED, protect=True,
                  retain_on_delete=True))
    out[ORGANIZATION] = org
    root_id = org.roots.apply(lambda roots: roots[0]["id"] if roots else None)
    ids: dict[str, Any] = {ROOT: root_id}

    for path, ou in spec.walk_ous():
        name = ou_name(path)
        parent_key = path.rpartition("/")[0] or ROOT
        if not wanted(name):
            continue
        parent_res = out[ORGANIZATION] if parent_key == ROOT else out.get(ou_name(parent_key))
        res = aws_org.OrganizationalUnit(
            name, **args(name, name=ou.name, parent_id=ids.get(parent_key),
                         tags=dict(ou.tags) or None),
            opts=opts(name, parent=parent_res))
        out[name] = res
        ids[path] = res.id

    for acct in spec.accounts:
        name = spec.account_key(acct)  # account:NAME, or account:ID where names repeat
        if not wanted(name):
            continue
        res = aws_org.Account(
            name, **args(name, name=acct.name, email=acct.email,
                         parent_id=ids.get(spec.normalize_target(acct.ou)),
                         tags=dict(acct.tags) or None),
            opts=opts(name, parent=org, ignore=ACCOUNT_IGNORED, protect=True,
                      retain_on_delete=True))
        out[name] = res
        ids[name] = res.id

    for pol in spec.policies:
        name = policy_name(pol.name)
        if not wanted(name):
            continue
        doc = rendered[pol.name]
        out[name] = aws_org.Policy(
            name, **args(name, name=pol.name, type=pol.type, content=doc.text,
                         description=pol.description or None),
            opts=opts(name, parent=org, depends_on=[org]))

    for pol_name, key in attachments(spec):
        name = attachment_name(pol_name, key)
        policy = out.get(policy_name(pol_name))
        if not wanted(name) or policy is None:
            continue
        out[name] = aws_org.PolicyAttachment(
            name, **args(name, policy_id=policy.id, target_id=ids.get(key)),
            opts=opts(name, parent=policy))
    return out


def export_outputs(resources: Mapping[str, Any]) -> None:
    """Stack outputs: the organization and root ids, and every id by logical name."""
    import pulumi

    org = resources.get(ORGANIZATION)
    if org is not None:
        pulumi.export("organization_id", org.id)
        pulumi.export("root_id", org.roots.apply(lambda r: r[0]["id"] if r else None))
    pulumi.export("ids", {name: res.id for name, res in resources.items()
                          if name != ORGANIZATION})


def program(bundle: Bundle | Spec, imports: Imports | None = None, adopt_only: bool = False,
            live_types: Iterable[str] = ()):
    """A zero-argument Pulumi program (what the Automation API's inline program takes)
    over the bundle's documents, rendered once however often Pulumi runs it."""
    bundle = Bundle.of(bundle)
    live = tuple(live_types)

    def run() -> None:
        export_outputs(build(bundle, imports=imports, adopt_only=adopt_only,
                             live_types=live))

    return run
