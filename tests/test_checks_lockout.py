"""Lockout checks and the allow-list beside FullAWSAccess: failing and passing examples."""

from __future__ import annotations

from pathlib import Path

from aigov.policy.checks import lockout
from aigov.policy.checks.document import PolicyDoc
from aigov.policy.lint import lint_spec

FIX = Path(__file__).parent / "fixtures" / "lint" / "lockout"
BREAK_GLASS = {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/aigov-break-glass"}}


def doc(*statements: dict) -> PolicyDoc:
    return PolicyDoc(document={"Version": "2012-10-17", "Statement": list(statements)},
                     type="SERVICE_CONTROL_POLICY")


def codes(found) -> list[str]:
    return sorted(f.code for f in found)


def test_deny_all_with_break_glass_exemption_passes():
    d = doc({"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": BREAK_GLASS})
    assert codes(lockout.check_deny_all_without_break_glass(d)) == []


def test_deny_all_without_break_glass_is_a_warning():
    d = doc({"Effect": "Deny", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "NotAction": ["iam:*"], "Resource": "*",
             "Condition": {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}})
    found = list(lockout.check_deny_all_without_break_glass(d))
    assert codes(found) == ["LOCKOUT_DENY_ALL_NO_BREAK_GLASS"] * 2
    assert found[0].severity.value == "warning"


def test_narrow_deny_needs_no_break_glass():
    d = doc({"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"})
    assert codes(lockout.check_deny_all_without_break_glass(d)) == []


def test_region_deny_with_global_exemptions_passes():
    d = doc({"Effect": "Deny", "NotAction": ["iam:*", "organizations:*", "sts:*", "support:*",
                                             "cloudfront:*", "route53:*"], "Resource": "*",
             "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}}})
    assert codes(lockout.check_region_deny_exemptions(d)) == []


def test_region_deny_without_global_exemptions_is_an_error():
    d = doc({"Effect": "Deny", "Action": "*", "Resource": "*",
             "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}}},
            {"Effect": "Deny", "NotAction": ["iam:*"], "Resource": "*",
             "Condition": {"StringNotLike": {"aws:RequestedRegion": ["eu-*"]}}})
    found = list(lockout.check_region_deny_exemptions(d))
    assert codes(found) == ["LOCKOUT_REGION_DENY_NO_GLOBAL_EXEMPTIONS"] * 2
    assert found[0].severity.value == "error"
    assert "iam:CreateRole" not in found[1].message


def test_region_deny_of_one_regional_service_passes():
    d = doc({"Effect": "Deny", "Action": "ec2:*", "Resource": "*",
             "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}}})
    assert codes(lockout.check_region_deny_exemptions(d)) == []


def test_full_access_detached_without_replacement_is_an_error():
    found = [f for f in lint_spec(FIX / "detached_no_replacement.yaml")
             if f.code.startswith("LOCKOUT")]
    assert [(f.code, f.location["key"]) for f in found] == [("LOCKOUT_SENTINEL_DENIED", "Sandbox")]


def test_allow_list_replacing_full_access_passes():
    found = lint_spec(FIX / "allow_list_replaces.yaml")
    assert codes(found) == []


def test_disjoint_allow_lists_leave_a_level_with_no_allow_reported_once():
    found = [f for f in lint_spec(FIX / "disjoint_allow_lists.yaml") if f.code.startswith("LOCKOUT")]
    assert [(f.code, f.location["key"]) for f in found] == [("LOCKOUT_SENTINEL_DENIED", "AI")]
    assert found[0].location["line"] == 3  # its detach_from entry in the spec


def test_allow_list_beside_full_access_is_a_warning_at_its_statement():
    (f,) = lint_spec(FIX / "allow_list_beside_full_access.yaml")
    assert f.code == "SCP_ALLOW_LIST_BESIDE_FULL_ACCESS"
    assert f.severity.value == "warning"
    assert f.location == {"statement": 0, "element": "Effect", "key": "AI", "line": 1}


def test_seed_policy_is_flagged_as_a_warning_not_an_error():
    repo = Path(__file__).resolve().parents[1]
    found = [f for f in lint_spec(repo / "policies" / "organization.yaml")
             if f.code == "SCP_ALLOW_LIST_BESIDE_FULL_ACCESS"]
    assert [(f.file.endswith("seed_ai_model_development.json"), f.severity.value,
             f.location["key"]) for f in found] == [(True, "warning", "AI/Development")]
