"""May this run write to the organization? The one rule, used by the deploy gate, the
structure steps of notebooks 01/02 and ``aigov apply`` (docs/safety.md).

- Never when the run is read-only (``read_only``) or only shows its plan (``approve``
  false): those runs hold read-only clients, so a write could not even be sent.
- On the emulator (every endpoint loopback and ``target=emulator``): otherwise yes.
- On AWS (any other endpoint, or ``target=aws``): only when the profile says
  ``allow_mutations: true`` (default false), the person running confirms
  (``-p confirm=true`` or ``aigov apply --yes``), and the caller is the
  organization's management account (or, before the organization exists, the account
  the spec names as management, when it names one). AWS Organizations accepts writes to
  policies and structure only from the management account (or a delegated
  administrator): https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_org_support-all-features.html
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aigov.errors import ReadOnlyError
from aigov.findings import Finding, finding
from aigov.org.inventory import Inventory
from aigov.spec.model import Spec
from aigov.target.clients import OrgClients
from aigov.target.endpoints import AWS


@dataclass(frozen=True)
class WritePermission:
    """``allowed``: writes may go out. ``applying``: the run means to write at all (a
    read-only or unapproved run only shows). ``findings``: why an AWS write is refused."""

    allowed: bool
    applying: bool
    reason: str
    findings: list[Finding] = field(default_factory=list)


def aws_findings(inventory: Inventory | None, spec: Spec | None, *,
                 allow_mutations: bool, confirm: bool) -> list[Finding]:
    """The three conditions of a write to AWS, each reported."""
    out = []
    if not allow_mutations:
        out.append(finding("DEPLOY_MUTATIONS_NOT_ALLOWED", "target aws: the profile does "
                           "not say allow_mutations: true"))
    if not confirm:
        out.append(finding("DEPLOY_NOT_CONFIRMED", "target aws: the run is not confirmed "
                           "(-p confirm=true, or aigov apply --yes)"))
    caller = inventory.caller_account_id if inventory else None
    named = spec.organization.management_account_id if spec else None
    management = inventory.management_account_id if inventory and inventory.exists else named
    if caller is None or (management and caller != management):
        out.append(finding("DEPLOY_NOT_MANAGEMENT_ACCOUNT", f"the caller ({caller or 'unknown'})"
                           f" is not the management account ({management or 'unknown'})"))
    return out


def may_write(target: str, inventory: Inventory | None, spec: Spec | None = None, *,
              read_only: bool = False, approve: bool = True, allow_mutations: bool = False,
              confirm: bool = False) -> WritePermission:
    """The verdict for one run. ``target`` is the rules it gets (``OrgClients.target.kind``
    or the declared ``aws``): ``emulator`` or ``aws``."""
    if read_only:
        return WritePermission(False, False, "read-only run (read_only=true): the plan is "
                               "shown, nothing is applied")
    if not approve:
        return WritePermission(False, False, "approve=false: the plan is shown, nothing is "
                               "applied")
    if target == AWS:
        found = aws_findings(inventory, spec, allow_mutations=allow_mutations, confirm=confirm)
        if found:
            return WritePermission(False, True, "target aws: " + "; ".join(
                f.message for f in found) + "; nothing is applied", found)
    return WritePermission(True, True, "allowed")


def writer(c: OrgClients, permission: WritePermission) -> OrgClients:
    """Clients that may write, handed out only for a permitted run."""
    if not permission.allowed:
        raise ReadOnlyError(f"no write permission: {permission.reason}",
                            fix="see docs/safety.md for the rules of writing to AWS")
    return c.writable()
