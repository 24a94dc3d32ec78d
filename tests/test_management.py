"""What each account ends up with (org/management.py): the live effective AI opt-out and
Bedrock guardrail per account on the emulator, and the aws target's comparison with
DescribeEffectivePolicy."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.stub import Stubber

from aigov.org.apply import apply_plan
from aigov.org.audit import audit_report
from aigov.org.discover import discover
from aigov.org.inventory import AccountInfo, Inventory
from aigov.org.management import effective_drift, live_ai_settings, spec_ai_settings
from aigov.org.plan import build_plan
from aigov.spec import load_spec
from aigov.target.clients import clients
from aigov.target.emulator import Emulator


@pytest.fixture(scope="module")
def applied(moto_server: Emulator) -> Emulator:
    """The starter spec applied to a fresh emulator by the direct engine."""
    moto_server.reset()
    spec = load_spec()
    c = clients(moto_server.url).writable()
    apply_plan(c, build_plan(spec, discover(c)))
    return moto_server


@pytest.mark.slow
def test_bedrock_policy_at_the_ai_ou_is_each_ai_accounts_effective_guardrail(applied):
    """Done-when of issue 16: the Bedrock policy attached at an OU shows up as each
    account's effective guardrail, per Region, read back from the emulator."""
    inv = discover(clients(applied.url))
    spec = load_spec()
    for name in ("ai-dev", "ai-staging", "ai-prod"):
        got = live_ai_settings(inv, inv.accounts[name].id)
        assert sorted(got["guardrails"]) == ["eu-west-1", "us-east-1", "us-west-2"]
        assert got["guardrails"]["us-east-1"]["identifier"].endswith("guardrail/aigovusea1gr:1")
        assert got["opt_out"] == {"default": "optOut"}
        assert got == spec_ai_settings(spec, name)
    audit = live_ai_settings(inv, inv.accounts["security-audit"].id)
    assert audit == {"opt_out": {"default": "optOut"}, "guardrails": {}, "backup_plans": {}}


@pytest.mark.slow
def test_audit_lists_ai_settings_per_account_and_skips_effective_drift_on_the_emulator(applied):
    report = audit_report(load_spec(), clients(applied.url))
    rows = report.ai_settings_rows()
    assert {(r["account"], r["where"]) for r in rows if r["setting"] == "Bedrock guardrail"} \
        >= {("ai-prod", "us-west-2"), ("ai-dev", "eu-west-1")}
    assert not [f for f in report.findings if f.code.startswith("DRIFT_EFFECTIVE")]


def _aws_org(responses: list[dict]) -> tuple[object, Stubber]:
    """A real botocore organizations client with botocore's Stubber answering: AWS itself
    cannot be reached from the build machines (responses are checked against the model)."""
    org = boto3.client("organizations", region_name="us-east-1", aws_access_key_id="x",
                       aws_secret_access_key="x")
    stub = Stubber(org)
    for r in responses:
        stub.add_response("describe_effective_policy", r)
    stub.activate()
    return org, stub


def _inventory(spec) -> Inventory:
    return Inventory(organization_id="o-abc", management_account_id="000000000000",
                     root_id="r-1", enabled_policy_types=frozenset(
                         spec.organization.enabled_policy_types),
                     accounts={"ai-prod": AccountInfo("444455556666", "ai-prod",
                                                      "aws+ai-prod@example.com", "ou-1")})


def _answer(content: dict, ptype: str) -> dict:
    return {"EffectivePolicy": {"PolicyContent": json.dumps(content), "TargetId": "444455556666",
                                "PolicyType": ptype}}


def test_effective_drift_reports_what_aws_applies_differently(tmp_path):
    spec = load_spec()
    spec = spec.model_copy(update={"accounts": tuple(a for a in spec.accounts
                                                     if a.name == "ai-prod")})
    from aigov.policy.effective import spec_effective_policy
    from aigov.policy.types import MANAGEMENT_TYPES

    types = [t for t in spec.organization.enabled_policy_types if t in MANAGEMENT_TYPES]
    answers = []
    for t in types:
        want = spec_effective_policy(spec, "ai-prod", t).content
        if t == "BEDROCK_POLICY":  # someone attached another guardrail by hand
            want = json.loads(json.dumps(want).replace("aigovusea1gr:1", "handmade:7"))
        answers.append(_answer(want, t))
    org, stub = _aws_org(answers)
    found = effective_drift(spec, _inventory(spec), org)
    stub.assert_no_pending_responses()
    assert [f.code for f in found] == ["DRIFT_EFFECTIVE_POLICY"]
    assert "BEDROCK_POLICY for ai-prod" in found[0].message and "handmade:7" in found[0].message


def test_effective_drift_is_clean_when_aws_agrees_with_the_spec():
    spec = load_spec()
    spec = spec.model_copy(update={"accounts": tuple(a for a in spec.accounts
                                                     if a.name == "ai-prod")})
    from aigov.policy.effective import spec_effective_policy
    from aigov.policy.types import MANAGEMENT_TYPES

    types = [t for t in spec.organization.enabled_policy_types if t in MANAGEMENT_TYPES]
    org, _ = _aws_org([_answer(spec_effective_policy(spec, "ai-prod", t).content, t)
                       for t in types])
    assert effective_drift(spec, _inventory(spec), org) == []


def test_backup_plans_show_per_account_beside_the_ai_settings():
    """BACKUP_POLICY is a spec type: an account's effective backup plans are listed."""
    from aigov.org.management import ai_settings, ai_settings_rows

    backup = {"plans": {"ai-daily": {"regions": ["us-east-1", "eu-west-1"], "rules": {}}}}
    rows = ai_settings_rows([("ai-prod", ai_settings({}, {}, backup))])
    assert {"account": "ai-prod", "setting": "Backup plan", "where": "ai-daily",
            "value": "regions: us-east-1, eu-west-1"} in rows
