"""Creates that survive a lost response: send once, then look before sending again.

CreateOrganizationalUnit, CreatePolicy, CreateAccount and CreateOrganization take no
idempotency token (Organizations API reference): when a response is lost (a 500 after
the write, a timeout, a dropped connection) the write may or may not have happened, and
re-sending it blindly makes a second OU, a second policy or a second account request.
So they go through ``OrgClients.organizations_once`` (never re-sent by botocore), and
after any answer that leaves the outcome open, ``create_once`` asks the organization
whether the thing now exists and adopts it; only if it does not is the create sent
again. A ``Duplicate…``/``AlreadyInOrganization…`` answer means "it exists": check and
adopt, never stop. docs/contracts/faults.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from aigov.errors import ApplyError
from aigov.target.clients import OrgClients

# Answers that say the thing already exists (perhaps made by our own lost call).
EXISTS = frozenset({"DuplicateOrganizationalUnitException", "DuplicatePolicyException",
                    "AlreadyInOrganizationException", "DuplicateAccountException"})
ATTEMPTS = 4


def _open_outcome(exc: Exception) -> bool:
    """True when the call may have been carried out although it raised."""
    if isinstance(exc, BotoCoreError):
        return True  # timeouts, dropped connections: the request may have arrived
    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        return status >= 500 or exc.response["Error"]["Code"] in EXISTS
    return False


def create_once(what: str, send: Callable[[], Any], find: Callable[[], Any]) -> Any:
    """``send()`` a non-idempotent create; after an open outcome, ``find()`` (None when
    absent) and adopt what it returns, else send again (at most ``ATTEMPTS`` times)."""
    last: Exception | None = None
    for attempt in range(ATTEMPTS):
        if attempt:
            found = find()
            if found is not None:
                return found
        try:
            return send()
        except (ClientError, BotoCoreError) as exc:
            if not _open_outcome(exc):
                raise
            last = exc
    found = find()
    if found is not None:
        return found
    raise ApplyError(f"{what}: no answer after {ATTEMPTS} attempts and nothing to adopt "
                     f"({last})", fix="re-run the apply; it looks before creating again")


def _pages(client: Any, op: str, key: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    for page in client.get_paginator(op).paginate(**kwargs):
        yield from page.get(key, [])


def find_ou(c: OrgClients, parent_id: str, name: str) -> str | None:
    """The id of the OU named ``name`` directly under ``parent_id``."""
    return next((o["Id"] for o in _pages(c.organizations, "list_organizational_units_for_parent",
                                         "OrganizationalUnits", ParentId=parent_id)
                 if o["Name"] == name), None)


def find_policy(c: OrgClients, ptype: str, name: str) -> str | None:
    """The id of the customer-managed policy of ``ptype`` named ``name``."""
    return next((p["Id"] for p in _pages(c.organizations, "list_policies", "Policies",
                                         Filter=ptype)
                 if p["Name"] == name and not p.get("AwsManaged")), None)


def find_organization(c: OrgClients) -> str | None:
    try:
        return c.organizations.describe_organization()["Organization"]["Id"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "AWSOrganizationsNotInUseException":
            return None
        raise


def account_index(c: OrgClients) -> dict[str, dict[str, dict[str, Any]]]:
    """Every account by email (as a SUCCEEDED request status) and the newest in-flight
    CreateAccount request by name: one ListAccounts and one ListCreateAccountStatus
    pagination, so an apply creating many accounts asks once, not once per account."""
    by_email: dict[str, dict[str, Any]] = {}
    for a in _pages(c.organizations, "list_accounts", "Accounts"):
        by_email.setdefault(a.get("Email", "").lower(), {
            "State": "SUCCEEDED", "AccountId": a["Id"], "AccountName": a["Name"]})
    statuses = sorted(_pages(c.organizations, "list_create_account_status",
                             "CreateAccountStatuses", States=["IN_PROGRESS"]),
                      key=lambda s: str(s.get("RequestedTimestamp", "")))
    by_name = {s.get("AccountName", ""): s for s in statuses}  # the newest wins
    return {"email": by_email, "name": by_name}


def find_in(index: dict[str, dict[str, dict[str, Any]]], name: str,
            email: str) -> dict[str, Any] | None:
    """The account with ``email`` (AWS: one account per email), else the newest in-flight
    request for ``name``, from an ``account_index``."""
    return index["email"].get(email.lower()) or index["name"].get(name)


def find_account(c: OrgClients, name: str, email: str) -> dict[str, Any] | None:
    """``find_in`` a fresh ``account_index`` (ListAccounts and ListCreateAccountStatus; a
    create whose response was lost shows up in one)."""
    return find_in(account_index(c), name, email)
