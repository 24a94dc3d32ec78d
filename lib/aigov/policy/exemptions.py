"""Who SCPs and RCPs do not restrict: the one place the exemption rules are written.

AWS Organizations User Guide: SCPs "do not affect users or roles in the management
account" and "do not affect service-linked roles" ("SCP effects on permissions"); RCPs
"do not affect resources in the management account" and apply only to the services
that support them ("RCP effects on permissions", "List of AWS services that support
RCPs"). The evaluator (``evaluate.py``) and the decision matrix (``matrix.py``) both ask
here, so a cell and a single decision can never disagree about an exemption.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aigov.policy.services import rcp_supported_services

if TYPE_CHECKING:
    from aigov.policy.evaluate import Request


def principal_account(req: Request) -> str:
    """The account of the request's principal (``aws:PrincipalAccount``)."""
    return req.context.get("aws:principalaccount", ("",))[0]


def scp_exemption(req: Request, management: str | None) -> str | None:
    """Why SCPs do not apply to ``req``, or ``None`` when they do."""
    if management and principal_account(req) == management:
        return "SCPs do not restrict the management account's principals"
    if req.service_linked:
        return "SCPs do not restrict service-linked roles"
    return None


def rcp_exemption(req: Request, management: str | None) -> str | None:
    """Why RCPs do not apply to ``req``, or ``None`` when they do."""
    if management and req.account == management:
        return "RCPs do not restrict the management account's resources"
    if req.service not in rcp_supported_services():
        return f"RCPs do not apply to {req.service} (not a service RCPs support)"
    return None
