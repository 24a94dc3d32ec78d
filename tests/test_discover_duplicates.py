"""Discovery and drift see what the spec cannot name apart: two OUs of one name under one
parent, accounts sharing a name or email (left by a create re-sent after a lost answer;
moto accepts both, AWS refuses a duplicate OU name per parent)."""

from __future__ import annotations

import boto3

from aigov.org.discover import discover
from aigov.org.drift import drift
from aigov.spec import load_spec
from aigov.target.clients import clients
from aigov.target.emulator import EMULATOR_CREDENTIALS
from conftest import FIXTURES


def inv_account(org) -> str:
    return org.describe_organization()["Organization"]["MasterAccountId"]


def test_duplicate_ous_and_accounts_are_drift_findings(emulator):
    org = boto3.client("organizations", endpoint_url=emulator.url, region_name="us-east-1",
                       **EMULATOR_CREDENTIALS)
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    first = org.create_organizational_unit(ParentId=root, Name="AI")["OrganizationalUnit"]["Id"]
    # AWS (and the strict emulator) refuse a sibling of the same name; such a state comes
    # only from elsewhere, so it is made in moto's backend directly, past the API's rules.
    from moto.organizations.models import organizations_backends

    backend = organizations_backends[inv_account(org)]["aws"]
    second = backend.create_organizational_unit(ParentId=root, Name="AI")[
        "OrganizationalUnit"]["Id"]
    for _ in range(2):
        org.create_account(Email="ai-dev@example.com", AccountName="ai-dev")
    inv = discover(clients(emulator.url))
    assert inv.duplicate_ous == {"AI": (first, second)}
    assert set(inv.duplicate_accounts) == {"name ai-dev", "email ai-dev@example.com"}
    spec = load_spec(FIXTURES / "spec" / "valid.yaml")
    codes = [f.code for f in drift(spec, inv)]
    assert codes.count("DRIFT_DUPLICATE_OU") == 1 and codes.count("DRIFT_DUPLICATE_ACCOUNT") == 2
