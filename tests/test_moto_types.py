"""The emulator accepts the policy types moto refuses (target/moto_types.py): Bedrock and
backup policies are created, attached, listed and described over real HTTP, and the
starter spec's Bedrock policy reaches the AI OU through the direct engine."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from aigov.org.apply import apply_plan
from aigov.org.discover import discover
from aigov.org.plan import build_plan
from aigov.spec import load_spec
from aigov.target.clients import clients

BEDROCK = {"bedrock": {"guardrail_inference": {"us-east-1": {"config_1": {
    "identifier": {"@@assign": "arn:aws:bedrock:us-east-1:123456789012:guardrail/hu1dlsv9wy1d:1"},
    "input_tags": {"@@assign": "honor"}}}}}}


@pytest.mark.parametrize(("ptype", "arn_word"), [("BEDROCK_POLICY", "bedrock_policy"),
                                                 ("BACKUP_POLICY", "backup_policy")])
def test_emulator_creates_attaches_and_lists_a_type_moto_refuses(emulator, ptype, arn_word):
    org = clients(emulator.url).writable().organizations
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    org.enable_policy_type(RootId=root, PolicyType=ptype)
    summary = org.create_policy(Name="p", Description="d", Type=ptype,
                                Content=json.dumps(BEDROCK))["Policy"]["PolicySummary"]
    assert summary["Type"] == ptype and f"/{arn_word}/" in summary["Arn"]
    org.attach_policy(PolicyId=summary["Id"], TargetId=root)
    listed = org.list_policies_for_target(TargetId=root, Filter=ptype)["Policies"]
    assert [p["Id"] for p in listed] == [summary["Id"]]
    assert json.loads(org.describe_policy(PolicyId=summary["Id"])["Policy"]["Content"]) == BEDROCK


def test_emulator_still_refuses_a_type_aws_does_not_have(emulator):
    org = clients(emulator.url).writable().organizations
    org.create_organization(FeatureSet="ALL")
    with pytest.raises(ClientError):
        org.create_policy(Name="p", Description="d", Type="NOT_A_POLICY", Content="{}")


@pytest.mark.slow
def test_starter_specs_bedrock_policy_is_applied_at_the_ai_ou(emulator):
    """The direct engine enables BEDROCK_POLICY and attaches the guardrail policy at AI."""
    spec = load_spec()
    c = clients(emulator.url).writable()
    apply_plan(c, build_plan(spec, discover(c)))
    inv = discover(c)
    assert "BEDROCK_POLICY" in inv.enabled_policy_types
    info = inv.policies[("BEDROCK_POLICY", "ai-bedrock-guardrails")]
    assert info.targets == {inv.ous["AI"].id}
    assert build_plan(spec, discover(c)).empty
